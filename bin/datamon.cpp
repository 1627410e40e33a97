// datamon: one program for the datamon CLI, the FUSE mount, the PostgreSQL mover, the
// sidecars and the application wrapper.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>

#include "bin/cli.h"
#include "bin/exit_codes.h"
#include "bin/output.h"
#include "common/config/config.h"
#include "common/template/go_fmt.h"
#include "common/util/error.h"
#include "common/util/log.h"

namespace {

// Whether `arg` names an option of `app` or of a parent it falls through to that takes a value.
bool option_takes_value(const CLI::App* app, const std::string& arg) {
  if (arg.find('=') != std::string::npos) return false;
  for (; app != nullptr; app = app->get_parent()) {
    const auto* opt = app->get_option_no_throw(arg);
    if (opt != nullptr) return opt->get_expected_min() > 0;
  }
  return false;
}

// Cobra's answer to a word that is not a command: `unknown command "x" for "datamon bundle"`.
// Empty when every word of argv up to the first leaf command is a known command.
std::string unknown_command(const CLI::App& app, int argc, char** argv) {
  const CLI::App* current = &app;
  std::string path = "datamon";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") return "";
    if (arg.starts_with("-")) {
      if (option_takes_value(current, arg)) ++i;
      continue;
    }
    if (current->get_subcommands({}).empty()) return "";  // a leaf: positional arguments are its own
    const CLI::App* next = nullptr;
    for (const auto* sub : current->get_subcommands({})) {
      if (sub->check_name(arg)) next = sub;
    }
    if (next == nullptr) {
      return "unknown command " + dm::tmpl::go_quote(arg) + " for " + dm::tmpl::go_quote(path) + "\nRun '" + path +
             " --help' for usage.";
    }
    current = next;
    path += " " + arg;
  }
  return "";
}

// SIGINT or SIGTERM: says so and exits with the Interrupted code at once. Objects are published
// by an atomic rename or a create-if-absent write, so stopping anywhere publishes nothing torn.
extern "C" void exit_interrupted(int sig) {
  const char* message =
      sig == SIGINT ? "datamon: error: interrupted by SIGINT\n" : "datamon: error: interrupted by SIGTERM\n";
  [[maybe_unused]] const auto written = ::write(STDERR_FILENO, message, std::strlen(message));
  ::_exit(dm::cli::exit_code(dm::ErrorKind::Interrupted));
}

// The words of the command that parsing selected: "bundle mount", "sidecar fuse", ...
std::string selected_command(const CLI::App& app) {
  std::string path;
  for (const CLI::App* current = &app;;) {
    const auto chosen = current->get_subcommands();
    if (chosen.empty()) return path;
    current = chosen.front();
    if (!path.empty()) path += ' ';
    path += current->get_name();
  }
}

// The mount and the sidecars turn SIGINT/SIGTERM into their own orderly shutdown (unmount, stop
// the application, upload); every other command reports the interruption with its exit code.
void report_interruptions(const std::string& command) {
  if (command.starts_with("bundle mount") || command.starts_with("sidecar") || command.starts_with("wrap")) return;
  struct sigaction action {};
  action.sa_handler = exit_interrupted;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

// The message on stderr and the exit code of the table (bin/exit_codes.h).
int report(const dm::Error& e) {
  std::fprintf(stderr, "datamon: error: %s\n", e.what());
  return dm::cli::exit_code(e.kind());
}

int run(int argc, char** argv) {
  CLI::App app{"datamon: versioned datasets in object storage (C++)", "datamon"};
  app.require_subcommand(1);
  app.footer(dm::cli::exit_codes_help());
  app.set_version_flag("--version", [] {
    auto text = dm::tmpl::Template::parse("version",
                                          "Version: {{.Version}}\nBuildDate: {{.BuildDate}}\nCommit: "
                                          "{{.GitCommit}}\nWorking tree: {{.GitState}}")
                    .execute(dm::cli::version_info());
    return text;
  });
  dm::cli::GlobalOptions global;
  dm::cli::add_optional(app, "--config", global.overrides.config, "config bucket (URL, or GCS bucket name)");
  dm::cli::add_optional(app, "--context", global.overrides.context, "context name (default dev)");
  dm::cli::add_optional(app, "--credential", global.overrides.credential, "GCS credentials JSON file");
  dm::cli::add_optional(app, "--s3-endpoint", global.overrides.s3_endpoint, "S3 endpoint URL");
  dm::cli::add_optional(app, "--s3-region", global.overrides.s3_region, "S3 region");
  dm::cli::add_optional(app, "--gcs-endpoint", global.overrides.gcs_endpoint, "GCS endpoint URL (emulators)");
  app.add_option("--loglevel", global.log_level,
                 "The logging level. Levels by increasing order of verbosity: none, error, warn, info, debug");
  app.add_flag("--log-structured", global.structured_logs, "structured log lines even on a terminal");
  dm::cli::add_go_metrics_flags(app);
  app.fallthrough();

  dm::cli::add_context_commands(app, global);
  dm::cli::add_repo_commands(app, global);
  auto& bundle = dm::cli::add_bundle_commands(app, global);
  dm::cli::add_mount_command(bundle, global);
  dm::cli::add_label_commands(app, global);
  dm::cli::add_pg_commands(app, global);
  dm::cli::add_sidecar_commands(app, global);
  dm::cli::add_version_command(app);
  dm::cli::add_config_commands(app, global);
  dm::cli::add_purge_commands(app, global);
  dm::cli::add_squash_commands(*app.get_subcommand("repo"), *app.get_subcommand("context"), global);
  dm::cli::add_completion_command(app);

  app.parse_complete_callback([&] {
    dm::LogOptions log;
    if (!global.log_level.empty())
      log.level = global.log_level;
    else if (const char* env = std::getenv("DATAMON_LOGLEVEL"); env != nullptr && *env != '\0')
      log.level = env;
    else if (const auto file_level = dm::config::file_log_level(dm::config::process_env()))
      log.level = *file_level;
    log.level = dm::config::spdlog_level(log.level);
    log.structured = global.structured_logs;
    dm::init_logging(log);
    report_interruptions(selected_command(app));
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const auto unknown = unknown_command(app, argc, argv);
    if (!unknown.empty()) {
      std::fprintf(stderr, "Error: %s\n", unknown.c_str());
      return 1;
    }
    return app.exit(e);
  } catch (const dm::cli::ExitStatus& e) {
    std::fprintf(stderr, "datamon: error: %s\n", e.message.c_str());
    return e.code;
  } catch (const dm::Error& e) {
    return report(e);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const dm::Error& e) {
    return report(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "datamon: error: %s\n", e.what());
    return 1;
  } catch (...) {
    std::fprintf(stderr, "datamon: error: unknown failure\n");
    return 1;
  }
}
