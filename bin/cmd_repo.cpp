// `datamon repo create|list|get|delete|delete files|rename`, and Go's --with-size.
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>

#include "bin/cli.h"
#include "bin/output.h"
#include "common/config/context.h"
#include "common/model/paths.h"
#include "common/model/repo_delete.h"
#include "common/model/repo_rename.h"
#include "common/template/go_fmt.h"
#include "common/template/model_values.h"
#include "common/util/error.h"

namespace dm::cli {

namespace {
// Go's default template (cmd/datamon/cmd/repo.go).
constexpr const char* kRepoLine =
    "{{.Name}} , {{.Description}} , {{with .Contributor}}{{.Name}} , {{.Email}}{{end}} , {{.Timestamp}}";

// Go's bundleSizeTemplate (repo_get.go), the line of each bundle under --with-size.
constexpr const char* kBundleSizeLine = "{{.ID}} , {{.Message}}, {{.Timestamp}}, {{.Size}} ({{.HumanSize}})";

// docker/go-units HumanSize, which Go prints sizes with: decimal units, 4 significant digits.
std::string human_size(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  auto size = static_cast<double>(bytes);
  size_t unit = 0;
  while (size >= 1000 && unit + 1 < std::size(kUnits)) {
    size /= 1000;
    ++unit;
  }
  return tmpl::go_sprintf("%.4g%s", {tmpl::Value::floating(size), tmpl::Value::string(kUnits[unit])});
}

// Go's --with-size: one line per bundle with the sum of its files' sizes (blobs shared between
// files or bundles are counted each time), then the repo's grand total. The bundle lines use
// --format when given, as Go's do.
void print_bundle_sizes(model::Catalog& catalog, const std::string& repo, const std::string& format) {
  const auto line = output_template(format, "bundle size", kBundleSizeLine);
  uint64_t grand_total = 0;
  for (const auto& bundle : catalog.list_bundles(repo)) {
    uint64_t size = 0;
    catalog.for_each_index_file(repo, bundle, 8,
                                [&](size_t, const std::string&, const std::vector<model::BundleEntry>& entries) {
                                  for (const auto& e : entries) size += e.size;
                                });
    grand_total += size;
    // Go's anonymous struct{ model.BundleDescriptor; Size; HumanSize }: the descriptor's
    // fields are promoted, so templates reach .ID as well as .Size.
    auto fields = tmpl::to_value(bundle).fields();
    fields.emplace_back("Size", tmpl::Value::unsigned_integer(size));
    fields.emplace_back("HumanSize", tmpl::Value::string(human_size(size)));
    print_line(line, tmpl::Value::structure("struct { model.BundleDescriptor; Size uint64; HumanSize string }",
                                            std::move(fields)));
  }
  std::cout << "\nGrand total for repo " << tmpl::go_quote(repo) << ": " << grand_total << " ("
            << human_size(grand_total) << ")\n";
}

// Go's userConfirm, word for word; anything but y or yes (an empty stdin too) refuses.
void confirm_or_abort(const std::string& action, const std::string& repo) {
  std::cout << "Are you sure you want to " << action << " from repo medata for " << tmpl::go_quote(repo) << " [y|n]\n"
            << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  for (auto& c : answer) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (answer != "y" && answer != "yes") {
    throw Error(ErrorKind::InvalidArgument, "user aborted: repo " + dm::quoted(repo) + " not changed");
  }
}
}  // namespace

void add_repo_commands(CLI::App& app, GlobalOptions& global) {
  auto* repo = app.add_subcommand("repo", "Create, list, get and delete repos");
  repo->require_subcommand(1);

  auto* create = repo->add_subcommand("create", "Create a repo");
  auto name = std::make_shared<std::string>();
  auto description = std::make_shared<std::string>();
  create->add_option("--repo", *name, "The name of this repository")->required();
  create->add_option("--description", *description, "The description for the repo")->required();
  create->add_flag("--skip-auth")->description("accepted for compatibility (identity comes from the config)");
  create->callback([&global, name, description] {
    const auto config = global.load();
    auto ctx = config::open_context(config);
    model::RepoDescriptor d;
    d.name = *name;
    d.description = *description;
    d.timestamp = model::Timestamp::now_utc();
    d.contributor = config.contributor;
    ctx.catalog().create_repo(d);  // silent on success, as Go
  });

  auto list_format = std::make_shared<std::string>();
  auto list_with_size = std::make_shared<bool>(false);
  auto* list = repo->add_subcommand("list", "List repos");
  add_format_flag(*list, *list_format);
  list->add_flag("--with-size", *list_with_size,
                 "Reports the assessed repo size in bytes for all bundles, without accounting for deduplicated blobs");
  add_listing_tuning_flags(*list);
  list->add_flag("--skip-auth")->description("accepted for compatibility (identity comes from the config)");
  list->callback([&global, list_format, list_with_size] {
    const auto line = output_template(*list_format, "list line", kRepoLine);
    const auto config = global.load();
    auto ctx = config::open_context(config);
    auto catalog = ctx.catalog();
    for (const auto& r : catalog.list_repos()) {
      print_line(line, tmpl::to_value(r));
      if (*list_with_size) print_bundle_sizes(catalog, r.name, *list_format);
    }
  });

  struct GetFlags {
    std::string repo, format;
    bool with_size = false;
  };
  auto gf = std::make_shared<GetFlags>();
  auto* get = repo->add_subcommand("get", "Get repo info by name (exit 2 when it does not exist)");
  get->add_option("--repo", gf->repo, "The name of this repository")->required();
  get->add_flag("--skip-auth")->description("accepted for compatibility (identity comes from the config)");
  add_format_flag(*get, gf->format);
  get->add_flag("--with-size", gf->with_size,
                "Reports the assessed repo size in bytes for all bundles, without accounting for deduplicated blobs");
  get->callback([&global, gf] {
    const auto line = output_template(gf->format, "list line", kRepoLine);
    const auto config = global.load();
    auto ctx = config::open_context(config);
    model::RepoDescriptor d;
    try {
      d = ctx.catalog().get_repo(gf->repo);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::NotFound) throw;
      exit_not_found("repo", gf->repo);
    }
    print_line(line, tmpl::to_value(d));
    if (gf->with_size) {
      std::cout << "All bundles with their total size:\n";
      auto catalog = ctx.catalog();
      print_bundle_sizes(catalog, gf->repo, gf->format);
    }
  });

  struct DeleteFlags {
    std::string repo;
    bool force_yes = false;
    std::string file, files;
  };
  auto df = std::make_shared<DeleteFlags>();
  auto* del = repo->add_subcommand(
      "delete", "Delete a repo's labels, bundles and description (metadata only: blobs stay for `purge`)");
  del->add_option("--repo", df->repo, "The name of this repository");
  del->add_flag("--force-yes", df->force_yes, "Skip the confirmation prompt");
  del->require_subcommand(0, 1);

  auto* files = del->add_subcommand("files", "Deletes files from a named repo, altering all bundles");
  files->footer(
      "Deletes files in a file list from all bundles in an existing datamon repository.\n"
      "This command MUST NOT BE RUN concurrently. Blobs stay for `purge`.");
  files->add_option("--repo", df->repo, "The name of this repository")->required();
  files->add_option("--file", df->file, "The file to delete from every bundle");
  files->add_option("--files", df->files, "Text file containing list of files separated by newline.");
  files->add_flag("--force-yes", df->force_yes, "Bypass confirmation step");
  files->callback([&global, df] {
    std::set<std::string> names;
    if (!df->files.empty()) {
      std::ifstream in(df->files);
      if (!in) throw_errno("cannot open file list", df->files);
      for (std::string line; std::getline(in, line);) names.insert(line);  // Go's bufio.Scanner lines
    } else if (!df->file.empty()) {
      names.insert(df->file);
    }
    if (names.empty()) throw Error(ErrorKind::InvalidArgument, "must specify at least one file or file list");
    const auto config = global.load();
    auto ctx = config::open_context(config);
    auto catalog = ctx.catalog();
    catalog.require_repo(df->repo);
    if (!df->force_yes) confirm_or_abort("delete repo files", df->repo);
    model::delete_entries(catalog, df->repo, names);  // silent on success, as Go
  });

  del->callback([&global, df, files] {
    if (files->parsed()) return;
    if (df->repo.empty()) throw Error(ErrorKind::InvalidArgument, "--repo is required");
    const auto config = global.load();
    auto ctx = config::open_context(config);
    auto catalog = ctx.catalog();
    catalog.require_repo(df->repo);
    if (!df->force_yes) confirm_or_abort("delete", df->repo);
    model::delete_repo(catalog, df->repo);
  });

  struct RenameFlags {
    std::string repo, new_name;
    bool force_yes = false;
  };
  auto rf = std::make_shared<RenameFlags>();
  auto* rename = repo->add_subcommand("rename", "Rename a repo");
  rename->footer(
      "Rename an existing datamon repository: its bundles and labels are copied under the new name,\n"
      "then the old name's metadata is deleted (blobs stay). An interruption never loses the old repo.\n"
      "This command MUST NOT BE RUN concurrently.\n\n"
      "Example: datamon repo rename --context dev --repo ritesh-datamon-test-repo ritesh-datamon-new-repo");
  rename->add_option("new-name", rf->new_name, "the new repo name")->required();
  rename->add_option("--repo", rf->repo, "The name of this repository")->required();
  rename->add_flag("--force-yes", rf->force_yes, "Bypass confirmation step");
  rename->callback([&global, rf] {
    const auto config = global.load();
    auto ctx = config::open_context(config);
    auto catalog = ctx.catalog();
    catalog.require_repo(rf->repo);
    model::validate_repo_name(rf->new_name);  // refused before asking
    if (!rf->force_yes) confirm_or_abort("rename", rf->repo);
    model::rename_repo(catalog, rf->repo, rf->new_name);  // silent on success, as Go
  });
}

}  // namespace dm::cli
