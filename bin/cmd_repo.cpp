// `datamon repo create|list`.
#include <iostream>

#include "bin/cli.h"
#include "common/config/context.h"

namespace dm::cli {

void add_repo_commands(CLI::App& app, GlobalOptions& global) {
  auto* repo = app.add_subcommand("repo", "Create and list repos");
  repo->require_subcommand(1);

  auto* create = repo->add_subcommand("create", "Create a repo");
  auto name = std::make_shared<std::string>();
  auto description = std::make_shared<std::string>();
  create->add_option("--repo", *name, "repo name")->required();
  create->add_option("--description", *description, "what the repo holds")->required();
  create->add_flag("--skip-auth")->description("accepted for compatibility (identity comes from the config)");
  create->callback([&global, name, description] {
    const auto config = global.load();
    auto ctx = config::open_context(config);
    model::RepoDescriptor d;
    d.name = *name;
    d.description = *description;
    d.timestamp = model::Timestamp::now_utc();
    d.contributor = config.contributor;
    ctx.catalog().create_repo(d);
    std::cout << "created repo '" << d.name << "'\n";
  });

  auto* list = repo->add_subcommand("list", "List repos");
  list->callback([&global] {
    const auto config = global.load();
    auto ctx = config::open_context(config);
    for (const auto& r : ctx.catalog().list_repos()) {
      std::cout << r.name << " , " << r.description << " , " << r.contributor.name << " , " << r.contributor.email
                << " , " << (r.timestamp ? r.timestamp->rfc3339nano() : "") << "\n";
    }
  });
}

}  // namespace dm::cli
