// `datamon sidecar fuse|pg` and `datamon wrap`: owned by sidecar (issue 5). Config keys are
// documented in sidecar/fuse_config.h, sidecar/pg_config.h and sidecar/README.md.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>

#include "bin/cli.h"
#include "common/util/error.h"
#include "common/util/process.h"
#include "sidecar/child_process.h"
#include "sidecar/duration.h"
#include "sidecar/fuse_sidecar.h"
#include "sidecar/pg_sidecar.h"
#include "sidecar/wrapper.h"

namespace dm::cli {

namespace {

struct FuseSidecarFlags {
  std::optional<std::string> config_file, coord, app_timeout, mount_timeout;
};

struct PgSidecarFlags {
  std::optional<std::string> config_file, coord, name, data_dir, port, run_as, listen, app_timeout;
};

struct WrapFlags {
  std::string coord;
  bool fuse = false;
  std::vector<std::string> databases;
  std::string timeout = "30m", grace = "10s";
  // wrap_application.sh's own flags (format spec §9.3)
  std::vector<std::string> batteries;  // -b fuse|postgres
  std::optional<std::string> db_list;  // -d "db1 db2"
  bool sleep_after = false;            // -s
  std::vector<std::string> command;
};

// wrap_application.sh's sleep after finishing (-s).
constexpr std::chrono::seconds kOldWrapperSleep{600};

// Folds wrap_application.sh's -b/-d into --fuse/--pg, with its validation: -b is fuse or
// postgres, -d is required with postgres (and ignored without it, as the script did).
void apply_old_wrapper_flags(const WrapFlags& f, sidecar::WrapOptions& o) {
  bool postgres = false;
  for (const auto& b : f.batteries) {
    if (b == "fuse")
      o.fuse = true;
    else if (b == "postgres")
      postgres = true;
    else
      throw Error(ErrorKind::InvalidArgument, "wrap: unknown battery type '" + b + "' for -b (fuse or postgres)");
  }
  if (!postgres) return;
  std::vector<std::string> names;
  if (f.db_list) {
    std::istringstream words(*f.db_list);
    for (std::string db; words >> db;) names.push_back(db);
  }
  if (names.empty()) {
    throw Error(ErrorKind::InvalidArgument, "wrap: -b postgres needs -d with the list of databases waited for");
  }
  for (auto& db : names) {
    if (std::find(o.databases.begin(), o.databases.end(), db) == o.databases.end()) o.databases.push_back(db);
  }
}

// The datamon binary with the global flags this process was given, for its child commands.
std::vector<std::string> datamon_command(const config::ConfigOverrides& o, const std::string& log_level) {
  std::vector<std::string> argv{process::self_executable().string()};
  const std::pair<const char*, const std::optional<std::string>*> flags[] = {
      {"--config", &o.config},           {"--context", &o.context},     {"--credential", &o.credential},
      {"--s3-endpoint", &o.s3_endpoint}, {"--s3-region", &o.s3_region}, {"--gcs-endpoint", &o.gcs_endpoint}};
  for (const auto& [flag, value] : flags) {
    if (*value) argv.insert(argv.end(), {flag, **value});
  }
  if (!log_level.empty()) argv.insert(argv.end(), {"--loglevel", log_level});
  return argv;
}

[[noreturn]] void exit_with(int code, const std::string& error) {
  spdlog::default_logger()->flush();
  if (!error.empty()) std::fprintf(stderr, "datamon: error: %s\n", error.c_str());
  std::fflush(stdout);
  std::fflush(stderr);
  std::exit(code);
}

// A sidecar that fails once running exits 1, whatever the kind of its error, as the old sidecar
// scripts did: pods and the wrapper read its signal files for the reason, not its exit code.
// (Its configuration errors, before it runs, exit with their kind's code like any command.)
int run_sidecar(const std::function<int()>& run) {
  try {
    return run();
  } catch (const std::exception& e) {
    exit_with(1, e.what());
  }
}

void run_fuse(GlobalOptions& global, const FuseSidecarFlags& f) {
  const auto env = config::process_env();
  std::string origin;
  const auto text = sidecar::read_fuse_params(f.config_file, env, origin);
  auto c = sidecar::load_fuse_config(text, origin, env);
  if (f.coord) c.coord = *f.coord;
  if (f.app_timeout) c.app_timeout = sidecar::parse_duration(*f.app_timeout, "--app-timeout");
  if (f.mount_timeout) c.mount_timeout = sidecar::parse_duration(*f.mount_timeout, "--mount-timeout");
  sidecar::validate_fuse_config(c, origin);
  // The sidecar YAML names the config bucket and context like flags would; real flags win.
  auto overrides = global.overrides;
  if (!overrides.config && !c.config_bucket.empty()) overrides.config = c.config_bucket;
  if (!overrides.context && !c.context.empty()) overrides.context = c.context;
  GlobalOptions effective = global;
  effective.overrides = overrides;
  sidecar::FuseSidecarRun run{c, effective.load(), datamon_command(overrides, global.log_level)};
  const int code = run_sidecar([&] { return sidecar::run_fuse_sidecar(run); });
  if (code != 0) exit_with(code, "fuse sidecar stopped by signal " + std::to_string(code - 128) + " before finishing");
}

void run_pg(GlobalOptions& global, const PgSidecarFlags& f) {
  const auto env = config::process_env();
  std::string origin;
  const auto text = sidecar::read_pg_params(f.config_file, env, origin);
  auto c = sidecar::load_pg_config(text, origin, env);
  if (f.coord) c.coord = *f.coord;
  if (f.name) c.name = *f.name;
  if (f.data_dir) c.data_dir = *f.data_dir;
  if (f.port) c.port = *f.port;
  if (f.run_as) c.run_as = *f.run_as;
  if (f.listen) c.listen = *f.listen;
  if (f.app_timeout) c.app_timeout = sidecar::parse_duration(*f.app_timeout, "--app-timeout");
  sidecar::validate_pg_config(c, origin);
  sidecar::PgSidecarRun run{c, global.load(), datamon_command(global.overrides, global.log_level)};
  const int code = run_sidecar([&] { return sidecar::run_pg_sidecar(run); });
  if (code != 0) {
    exit_with(code,
              "pg sidecar '" + c.name + "' stopped by signal " + std::to_string(code - 128) + " before finishing");
  }
}

void run_wrap(const WrapFlags& f) {
  // Checked here rather than by CLI11, so that a missing one exits 1 as wrap_application.sh did.
  if (f.coord.empty()) throw Error(ErrorKind::InvalidArgument, "wrap: coordination point not set (-c/--coord)");
  const bool old_style = !f.batteries.empty() || f.db_list || f.sleep_after;
  if (old_style && f.batteries.empty() && !f.fuse && f.databases.empty()) {
    throw Error(ErrorKind::InvalidArgument, "wrap: set the type of sidecar with -b fuse or -b postgres");
  }
  sidecar::WrapOptions o;
  o.coord = f.coord;
  o.fuse = f.fuse;
  o.databases = f.databases;
  apply_old_wrapper_flags(f, o);
  if (f.sleep_after) o.linger = kOldWrapperSleep;
  o.timeout = sidecar::parse_duration(f.timeout, "--timeout");
  o.grace = sidecar::parse_duration(f.grace, "--grace");
  o.command = f.command;
  const auto outcome = sidecar::run_wrapper(o);
  if (outcome.exit_code != 0) exit_with(outcome.exit_code, outcome.error);
}

}  // namespace

void add_sidecar_commands(CLI::App& app, GlobalOptions& global) {
  auto* sidecar = app.add_subcommand("sidecar", "Pod sidecars: mount bundles or run databases around an application");
  sidecar->require_subcommand(1);

  auto ff = std::make_shared<FuseSidecarFlags>();
  auto* fuse = sidecar->add_subcommand("fuse", "Mount source bundles, wait for the application, upload outputs");
  add_optional(*fuse, "--config", ff->config_file,
               "fuse sidecar YAML (default: $dm_fuse_params, a path or inline YAML)");
  add_optional(*fuse, "--coord", ff->coord, "coordination folder (globalOpts.coordPoint)");
  add_optional(*fuse, "--app-timeout", ff->app_timeout, "longest wait for the application (default 24h)");
  add_optional(*fuse, "--mount-timeout", ff->mount_timeout, "longest wait for each mount (default 2m)");
  fuse->callback([&global, ff] { run_fuse(global, *ff); });

  auto pf = std::make_shared<PgSidecarFlags>();
  auto* pg = sidecar->add_subcommand("pg", "Restore or create a database, wait for the application, commit it");
  add_optional(*pg, "--config", pf->config_file, "pg sidecar YAML (default: $SIDECAR_CONFIG, /config/pgparams.yaml)");
  add_optional(*pg, "--coord", pf->coord, "coordination folder (globalOpts.coordPoint)");
  add_optional(*pg, "--name", pf->name, "database name (database.name)");
  add_optional(*pg, "--data-dir", pf->data_dir, "staging folder; the cluster lives in DIR/NAME (database.dataDir)");
  add_optional(*pg, "--port", pf->port, "server port (database.pgPort)");
  add_optional(*pg, "--run-as", pf->run_as, "user the server runs as (database.runAs)");
  add_optional(*pg, "--listen", pf->listen, "listen address (database.listen)");
  add_optional(*pg, "--app-timeout", pf->app_timeout, "longest wait for the application (default 24h)");
  pg->callback([&global, pf] { run_pg(global, *pf); });

  auto wf = std::make_shared<WrapFlags>();
  auto* wrap = app.add_subcommand("wrap", "Run an application once its sidecars are ready; let them save its outputs");
  wrap->add_option("-c,--coord", wf->coord, "coordination folder shared with the sidecars (required)");
  wrap->add_flag("--fuse", wf->fuse, "wait for a fuse sidecar");
  wrap->add_option("--pg", wf->databases, "wait for the pg sidecar of this database (repeatable)")
      ->allow_extra_args(false);
  wrap->add_option("--timeout", wf->timeout, "longest wait for the sidecars, before and after the app (default 30m)");
  wrap->add_option("--grace", wf->grace, "SIGTERM to SIGKILL delay when stopping the app (default 10s)");
  wrap->add_option("-b", wf->batteries, "wrap_application.sh: fuse or postgres (repeatable)")->allow_extra_args(false);
  add_optional(*wrap, "-d", wf->db_list,
               "wrap_application.sh: the databases waited for with -b postgres (\"db1 db2\")");
  wrap->add_flag("-s", wf->sleep_after, "wrap_application.sh: sleep up to 600 s after finishing (debug)");
  wrap->add_option("command", wf->command, "[--] APP ARGS...");
  // As getopts did: the first non-option word starts the application's command line.
  wrap->positionals_at_end(true);
  wrap->callback([wf] {
    if (wf->command.empty()) throw Error(ErrorKind::InvalidArgument, "wrap: no application given after --");
    run_wrap(*wf);
  });
}

}  // namespace dm::cli
