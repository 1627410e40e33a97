// `datamon bundle list`, `bundle list files` and `bundle get`: Go's templates and exit codes.
#include "bin/cli.h"
#include "bin/output.h"
#include "common/config/context.h"
#include "common/template/model_values.h"
#include "common/util/error.h"

namespace dm::cli {

namespace {

// Go's default templates (cmd/datamon/cmd/bundle.go, bundle_list_file.go).
constexpr const char* kBundleLine = "{{.ID}} , {{.Timestamp}} , {{.Message}}";
constexpr const char* kFileLine = "name:{{.NameWithPath}}, size:{{.Size}}, hash:{{.Hash}}";

struct SelectFlags {
  std::string repo, bundle, label, format;
};

void add_selection(CLI::App& cmd, SelectFlags& f) {
  cmd.add_option("--repo", f.repo, "The name of this repository")->required();
  auto* b = cmd.add_option("--bundle", f.bundle,
                           "The hash id for the bundle, if not specified the latest bundle will be used");
  auto* l = cmd.add_option("--label", f.label, "The human-readable name of a label");
  b->excludes(l);
  add_format_flag(cmd, f.format);
}

}  // namespace

std::string select_bundle(model::Catalog& catalog, const std::string& repo, const std::string& bundle,
                          const std::string& label, bool print_using) {
  auto id = catalog.resolve_bundle(repo, bundle, label);
  if (print_using)
    print_line(tmpl::Template::parse("use bundle", "Using bundle: {{.ID}}"),
               tmpl::Value::structure("struct { ID string }", {{"ID", tmpl::Value::string(id)}}));
  return id;
}

void add_bundle_listing_commands(CLI::App& bundle, CLI::App& list, GlobalOptions& global) {
  auto lf = std::make_shared<SelectFlags>();
  list.add_option("--repo", lf->repo, "The name of this repository");
  add_format_flag(list, lf->format);
  add_listing_tuning_flags(list);
  list.callback([&global, &list, lf] {
    if (!list.get_subcommands().empty()) return;
    if (lf->repo.empty()) throw Error(ErrorKind::InvalidArgument, "bundle list needs --repo");
    const auto line = output_template(lf->format, "list line", kBundleLine);
    const auto config = global.load();
    auto ctx = config::open_context(config);
    for (const auto& d : ctx.catalog().list_bundles(lf->repo)) print_line(line, tmpl::to_value(d));
  });

  auto ff = std::make_shared<SelectFlags>();
  auto* files = list.add_subcommand("files", "List the files of a bundle (--bundle, --label, or the latest)");
  add_selection(*files, *ff);
  files->callback([&global, ff] {
    const auto line = output_template(ff->format, "file line", kFileLine);
    const auto config = global.load();
    auto ctx = config::open_context(config);
    auto catalog = ctx.catalog();
    const auto id = select_bundle(catalog, ff->repo, ff->bundle, ff->label, ff->format.empty());
    const auto d = catalog.get_bundle(ff->repo, id);
    for (const auto& e : catalog.get_entries(ff->repo, d)) print_line(line, tmpl::to_value(e));
  });

  auto gf = std::make_shared<SelectFlags>();
  auto* get = bundle.add_subcommand("get", "Get bundle info by id (exit 2 when it does not exist)");
  add_selection(*get, *gf);
  get->callback([&global, gf] {
    const auto line = output_template(gf->format, "list line", kBundleLine);
    const auto config = global.load();
    auto ctx = config::open_context(config);
    auto catalog = ctx.catalog();
    std::string id;
    try {
      id = select_bundle(catalog, gf->repo, gf->bundle, gf->label, gf->format.empty());
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::NotFound) throw;
      // Go reports the label here, even when it looked for the latest bundle.
      if (!gf->bundle.empty() && gf->label.empty()) exit_not_found("bundle", gf->bundle);
      exit_not_found("label", gf->label);
    }
    model::BundleDescriptor d;
    try {
      d = catalog.get_bundle(gf->repo, id);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::NotFound) throw;
      exit_not_found("bundle", id);
    }
    print_line(line, tmpl::to_value(d));
  });
}

}  // namespace dm::cli
