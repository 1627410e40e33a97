// The `datamon` command line: global options and the registration of each command group.
//
// Each cmd_*.cpp file adds one group of subcommands to the CLI11 app and keeps its handlers
// thin: parse flags, load the config, call one module. Handlers report failure by throwing
// dm::Error; main() prints it as one line and exits non-zero.
#pragma once

#include <CLI/CLI.hpp>

#include "common/config/config.h"
#include "common/model/catalog.h"
#include "common/template/value.h"

namespace dm::cli {

struct GlobalOptions {
  config::ConfigOverrides overrides;
  std::string log_level;
  bool structured_logs = false;

  // The effective config: flags > env > file > defaults.
  config::Config load() const;
};

// Adds an optional string flag that fills `target` only when given.
void add_optional(CLI::App& app, const std::string& name, std::optional<std::string>& target, const std::string& help);

// Go's --batch-size and --concurrency-factor of the list commands: accepted so that scripts
// written for Go run, without effect (listing here reads one document per object).
void add_listing_tuning_flags(CLI::App& cmd);

// A Go flag this port needs not, accepted without effect so that Go scripts keep working; the
// help says why. A boolean one parses as cobra's (`--x`, `--x=false`), a string one takes a
// value that is dropped unread (it is never logged nor echoed: --metrics-password).
void accept_go_bool_flag(CLI::App& cmd, const std::string& name, const std::string& why);
void accept_go_string_flag(CLI::App& cmd, const std::string& name, const std::string& why);

// Go's global --metrics, --metrics-url, --metrics-user, --metrics-password (usage metrics sent
// to InfluxDB), accepted without effect: the mount serves Prometheus metrics instead.
void add_go_metrics_flags(CLI::App& app);

void add_context_commands(CLI::App& app, GlobalOptions& global);
void add_repo_commands(CLI::App& app, GlobalOptions& global);
// Returns the `bundle` group so that `bundle mount` can join it.
CLI::App& add_bundle_commands(CLI::App& app, GlobalOptions& global);
// `bundle list`, `bundle list files` and `bundle get`, added to the `bundle` group and its `list`.
void add_bundle_listing_commands(CLI::App& bundle, CLI::App& list, GlobalOptions& global);
// `bundle diff`, `bundle update` and `bundle download file`.
void add_bundle_sync_commands(CLI::App& bundle, CLI::App& download, GlobalOptions& global);
// Go's setLatestOrLabelledBundle: the id --bundle, --label or (neither) the latest select;
// prints "Using bundle: ID" first when `print_using` (Go skips it under --format).
std::string select_bundle(model::Catalog& catalog, const std::string& repo, const std::string& bundle,
                          const std::string& label, bool print_using);
void add_version_command(CLI::App& app);
void add_config_commands(CLI::App& app, GlobalOptions& global);  // config set
// Go's VersionInfo for this build, what `version` and `--version` print.
tmpl::Value version_info();
void add_label_commands(CLI::App& app, GlobalOptions& global);
void add_mount_command(CLI::App& bundle, GlobalOptions& global);  // fusefs
void add_pg_commands(CLI::App& app, GlobalOptions& global);       // pgmover
void add_sidecar_commands(CLI::App& app, GlobalOptions& global);  // sidecar fuse|pg, wrap
void add_purge_commands(CLI::App& app, GlobalOptions& global);    // purge (common/purge)
// `repo squash` and `context squash`, added to the `repo` and `context` groups.
void add_squash_commands(CLI::App& repo, CLI::App& context, GlobalOptions& global);
// `completion bash|zsh` from the tree of `app`: registered after every other command.
void add_completion_command(CLI::App& app);

}  // namespace dm::cli
