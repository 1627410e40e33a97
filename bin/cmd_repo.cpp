// `datamon repo create|list|get`.
#include <iostream>

#include "bin/cli.h"
#include "bin/output.h"
#include "common/config/context.h"
#include "common/model/repo_delete.h"
#include "common/template/go_fmt.h"
#include "common/template/model_values.h"
#include "common/util/error.h"

namespace dm::cli {

namespace {
// Go's default template (cmd/datamon/cmd/repo.go).
constexpr const char* kRepoLine =
    "{{.Name}} , {{.Description}} , {{with .Contributor}}{{.Name}} , {{.Email}}{{end}} , {{.Timestamp}}";
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
  auto* list = repo->add_subcommand("list", "List repos");
  add_format_flag(*list, *list_format);
  add_listing_tuning_flags(*list);
  list->add_flag("--skip-auth")->description("accepted for compatibility (identity comes from the config)");
  list->callback([&global, list_format] {
    const auto line = output_template(*list_format, "list line", kRepoLine);
    const auto config = global.load();
    auto ctx = config::open_context(config);
    for (const auto& r : ctx.catalog().list_repos()) print_line(line, tmpl::to_value(r));
  });

  struct GetFlags {
    std::string repo, format;
  };
  auto gf = std::make_shared<GetFlags>();
  auto* get = repo->add_subcommand("get", "Get repo info by name (exit 2 when it does not exist)");
  get->add_option("--repo", gf->repo, "The name of this repository")->required();
  get->add_flag("--skip-auth")->description("accepted for compatibility (identity comes from the config)");
  add_format_flag(*get, gf->format);
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
  });

  struct DeleteFlags {
    std::string repo;
    bool force_yes = false;
  };
  auto df = std::make_shared<DeleteFlags>();
  auto* del = repo->add_subcommand(
      "delete", "Delete a repo's labels, bundles and description (metadata only: blobs stay for `purge`)");
  del->add_option("--repo", df->repo, "The name of this repository")->required();
  del->add_flag("--force-yes", df->force_yes, "Skip the confirmation prompt");
  del->callback([&global, df] {
    const auto config = global.load();
    auto ctx = config::open_context(config);
    auto catalog = ctx.catalog();
    catalog.require_repo(df->repo);
    if (!df->force_yes) {
      // Go's prompt, word for word; anything but y or yes (an empty stdin too) refuses.
      std::cout << "Are you sure you want to delete from repo medata for " << tmpl::go_quote(df->repo) << " [y|n]\n"
                << std::flush;
      std::string answer;
      std::getline(std::cin, answer);
      for (auto& c : answer) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (answer != "y" && answer != "yes") {
        throw Error(ErrorKind::InvalidArgument, "user aborted: repo " + dm::quoted(df->repo) + " not deleted");
      }
    }
    model::delete_repo(catalog, df->repo);
  });
}

}  // namespace dm::cli
