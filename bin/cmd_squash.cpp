// `datamon repo squash` and `context squash`: Go's flags, help texts and output over
// model::squash_repo.
#include <spdlog/spdlog.h>

#include "bin/cli.h"
#include "bin/output.h"
#include "common/config/context.h"
#include "common/model/repo_squash.h"
#include "common/template/model_values.h"

namespace dm::cli {

namespace {

// Go's bundle list template (cmd/datamon/cmd/bundle.go), what `repo squash` prints afterwards.
constexpr const char* kBundleLine = "{{.ID}} , {{.Timestamp}} , {{.Message}}";

// Go's addRetainTagsFlag, addRetainSemverTagsFlag, addRetainNLatestFlag (flags.go).
void add_retain_flags(CLI::App& cmd, model::SquashOptions& options) {
  cmd.add_flag("--retain-tags", options.retain_tags, "Squash past bundles and retain all tagged past bundles");
  cmd.add_flag("--retain-semver-tags", options.retain_semver_tags,
               "Squash past bundles and retain all semver tagged past bundles");
  cmd.add_option("--retain-n-latest", options.retain_n_latest,
                 "Squash past bundles and retain n latest versions. May be combined with retain-tags and "
                 "retain-semver-flags")
      ->default_val(1);
  add_listing_tuning_flags(cmd);
}

}  // namespace

void add_squash_commands(CLI::App& repo, CLI::App& context, GlobalOptions& global) {
  struct RepoFlags {
    std::string repo;
    model::SquashOptions options;
  };
  auto rf = std::make_shared<RepoFlags>();
  auto* repo_squash = repo.add_subcommand("squash", "Squash the history of a repo");
  repo_squash->footer(
      "Squash a repo so that only the latest bundle remains.\n\n"
      "Optionally, the squashing may also retain past tagged bundles, or only past tagged bundles with a legit "
      "semver tag.\n\n"
      "Only metadata goes: blobs stay for `purge`.\n\n"
      "Example: % datamon repo squash  --retain-semver-tags --repo ritesh-datamon-test-repo");
  repo_squash->add_option("--repo", rf->repo, "The name of this repository")->required();
  add_retain_flags(*repo_squash, rf->options);
  repo_squash->callback([&global, rf] {
    const auto line = output_template("", "list line", kBundleLine);
    const auto config = global.load();
    auto ctx = config::open_context(config);
    auto catalog = ctx.catalog();
    model::squash_repo(catalog, rf->repo, rf->options);
    // As Go, the repo's bundles after squashing.
    for (const auto& d : catalog.list_bundles(rf->repo)) print_line(line, tmpl::to_value(d));
  });

  auto cf = std::make_shared<model::SquashOptions>();
  auto* context_squash = context.add_subcommand("squash", "Squash the history of all repos in a context");
  context_squash->footer(
      "Squash all repos in a context so that only the latest bundle remains.\n\n"
      "Optionally, the squashing may also retain past tagged bundles, or only past tagged bundles with a legit "
      "semver tag.\n\n"
      "This command is equivalent to repeating \"datamon repo squash\" over all the repos of a context.\n\n"
      "Example: % datamon context squash  --retain-semver-tags --context dev");
  add_retain_flags(*context_squash, *cf);
  context_squash->callback([&global, cf] {
    const auto config = global.load();
    auto ctx = config::open_context(config);
    auto catalog = ctx.catalog();
    for (const auto& r : catalog.list_repos()) {
      // Go logs this line and prints nothing else.
      spdlog::info("squashing repo repo={} retain_all_tags={} retain_semver_tags={}", r.name, cf->retain_tags,
                   cf->retain_semver_tags);
      model::squash_repo(catalog, r.name, *cf);
    }
  });
}

}  // namespace dm::cli
