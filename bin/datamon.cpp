// datamon: one program for the datamon CLI, the FUSE mount, the PostgreSQL mover, the
// sidecars and the application wrapper.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "bin/cli.h"
#include "common/util/error.h"
#include "common/util/log.h"

int main(int argc, char** argv) {
  CLI::App app{"datamon: versioned datasets in object storage (C++)", "datamon"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "datamon-cpp 0.1.0");
  dm::cli::GlobalOptions global;
  dm::cli::add_optional(app, "--config", global.overrides.config, "config bucket (URL, or GCS bucket name)");
  dm::cli::add_optional(app, "--context", global.overrides.context, "context name (default dev)");
  dm::cli::add_optional(app, "--credential", global.overrides.credential, "GCS credentials JSON file");
  dm::cli::add_optional(app, "--s3-endpoint", global.overrides.s3_endpoint, "S3 endpoint URL");
  dm::cli::add_optional(app, "--s3-region", global.overrides.s3_region, "S3 region");
  dm::cli::add_optional(app, "--gcs-endpoint", global.overrides.gcs_endpoint, "GCS endpoint URL (emulators)");
  app.add_option("--loglevel", global.log_level, "trace, debug, info, warn, error");
  app.add_flag("--log-structured", global.structured_logs, "structured log lines even on a terminal");
  app.fallthrough();

  dm::cli::add_context_commands(app, global);
  dm::cli::add_repo_commands(app, global);
  auto& bundle = dm::cli::add_bundle_commands(app, global);
  dm::cli::add_mount_command(bundle, global);
  dm::cli::add_label_commands(app, global);
  dm::cli::add_pg_commands(app, global);
  dm::cli::add_sidecar_commands(app, global);

  app.parse_complete_callback([&] {
    dm::LogOptions log;
    if (!global.log_level.empty())
      log.level = global.log_level;
    else if (const char* env = std::getenv("DATAMON_LOGLEVEL"))
      log.level = env;
    log.structured = global.structured_logs;
    dm::init_logging(log);
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const dm::Error& e) {
    std::fprintf(stderr, "datamon: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "datamon: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
