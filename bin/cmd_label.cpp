// `datamon label set|list|get`.
#include "bin/cli.h"
#include "bin/output.h"
#include "common/config/context.h"
#include "common/template/model_values.h"
#include "common/util/error.h"

namespace dm::cli {

namespace {
// Go's default template (cmd/datamon/cmd/label.go).
constexpr const char* kLabelLine = "{{.Name}} , {{.BundleID}} , {{.Timestamp}}";
// Go's help for --with-versions (cmd/datamon/cmd/flags.go, addLabelVersionsFlag).
constexpr const char* kWithVersionsHelp = "List all previous versions of labels";
}  // namespace

void add_label_commands(CLI::App& app, GlobalOptions& global) {
  auto* label = app.add_subcommand("label", "Set, get and list labels");
  label->require_subcommand(1);
  struct Flags {
    std::string repo, label, bundle, prefix, format;
    bool with_versions = false;
  };

  auto sf = std::make_shared<Flags>();
  auto* set = label->add_subcommand("set", "Point a label at a bundle");
  set->add_option("--repo", sf->repo, "repo")->required();
  set->add_option("--label", sf->label, "label")->required();
  set->add_option("--bundle", sf->bundle, "bundle id")->required();
  set->callback([&global, sf] {
    const auto config = global.load();
    auto ctx = config::open_context(config);
    model::LabelDescriptor d;
    d.name = sf->label;
    d.id = sf->bundle;
    d.timestamp = model::Timestamp::now_utc();
    d.contributors = {config.contributor};
    ctx.catalog().set_label(sf->repo, d);  // silent on success, as Go
  });

  auto gf = std::make_shared<Flags>();
  auto* get = label->add_subcommand("get", "Show the bundle a label points at");
  get->add_option("--repo", gf->repo, "repo")->required();
  get->add_option("--label", gf->label, "label")->required();
  add_format_flag(*get, gf->format);
  get->add_flag("--with-versions", gf->with_versions, kWithVersionsHelp);
  get->callback([&global, gf] {
    const auto line = output_template(gf->format, "list line", kLabelLine);
    const auto config = global.load();
    auto ctx = config::open_context(config);
    std::vector<model::LabelDescriptor> found;
    try {
      if (gf->with_versions) {
        found = ctx.catalog().get_label_versions(gf->repo, gf->label);  // oldest first, as Go
      } else {
        found.push_back(ctx.catalog().get_label(gf->repo, gf->label));
      }
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::NotFound) throw;
      exit_not_found("label", gf->label);
    }
    for (const auto& d : found) print_line(line, tmpl::to_value(d));
  });

  auto lf = std::make_shared<Flags>();
  auto* list = label->add_subcommand("list", "List the labels of a repo");
  list->add_option("--repo", lf->repo, "repo")->required();
  list->add_option("--prefix", lf->prefix, "only labels starting with this");
  add_format_flag(*list, lf->format);
  add_listing_tuning_flags(*list);
  list->add_flag("--with-versions", lf->with_versions, kWithVersionsHelp);
  list->callback([&global, lf] {
    const auto line = output_template(lf->format, "list line", kLabelLine);
    const auto config = global.load();
    auto ctx = config::open_context(config);
    auto catalog = ctx.catalog();
    const auto labels = lf->with_versions ? catalog.list_label_versions(lf->repo, lf->prefix)
                                          : catalog.list_labels(lf->repo, lf->prefix);
    for (const auto& d : labels) print_line(line, tmpl::to_value(d));
  });
}

}  // namespace dm::cli
