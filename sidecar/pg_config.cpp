#include "sidecar/pg_config.h"

#include <cctype>
#include <vector>

#include "common/util/error.h"
#include "common/util/files.h"
#include "sidecar/legacy_params.h"

namespace dm::sidecar {

namespace {

constexpr const char* kDefaultFile = "/config/pgparams.yaml";

const std::vector<std::string> kKeys = {
    "GLOBALOPTS_COORDPOINT",   "GLOBALOPTS_POLLINTERVAL", "GLOBALOPTS_SLEEPINSTEADOFEXIT",
    "GLOBALOPTS_SLEEPTIMEOUT", "GLOBALOPTS_APPTIMEOUT",   "DATABASE_NAME",
    "DATABASE_DATADIR",        "DATABASE_PGPORT",         "DATABASE_SRCREPO",
    "DATABASE_SRCBUNDLE",      "DATABASE_SRCLABEL",       "DATABASE_DESTREPO",
    "DATABASE_DESTLABEL",      "DATABASE_DESTMESSAGE",    "DATABASE_OWNER",
    "DATABASE_RUNAS",          "DATABASE_LISTEN",         "DATABASE_UPGRADE"};

Error bad_pg_config(const std::string& origin, const std::string& what) {
  return Error(ErrorKind::InvalidArgument, "pg sidecar config " + origin + ": " + what);
}

}  // namespace

std::string read_pg_params(const std::optional<std::filesystem::path>& file, const config::EnvLookup& env,
                           std::string& origin) {
  std::filesystem::path path;
  bool required = true;
  if (file)
    path = *file;
  else if (auto e = env("SIDECAR_CONFIG"))
    path = *e;
  else {
    path = kDefaultFile;
    required = false;
  }
  origin = dm::quoted(path.string());
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    if (required) throw bad_pg_config(origin, "no such file");
    origin = "(environment only)";
    return {};
  }
  return dm::read_file(path);
}

PgSidecarConfig load_pg_config(const std::string& yaml_text, const std::string& origin, const config::EnvLookup& env) {
  auto params = LegacyParams::parse(yaml_text, origin);
  params.apply_env(kKeys, env);
  PgSidecarConfig c;
  c.coord = params.get_or("GLOBALOPTS_COORDPOINT", c.coord.string());
  c.poll_interval = params.get_duration("GLOBALOPTS_POLLINTERVAL", c.poll_interval);
  c.sleep_instead_of_exit = params.get_bool("GLOBALOPTS_SLEEPINSTEADOFEXIT", false);
  c.sleep_timeout = params.get_duration("GLOBALOPTS_SLEEPTIMEOUT", c.sleep_timeout);
  c.app_timeout = params.get_duration("GLOBALOPTS_APPTIMEOUT", c.app_timeout);
  c.name = params.get_or("DATABASE_NAME", c.name);
  c.data_dir = params.get_or("DATABASE_DATADIR", c.data_dir.string());
  c.port = params.get_or("DATABASE_PGPORT", c.port);
  c.src_repo = params.get_or("DATABASE_SRCREPO", "");
  c.src_bundle = params.get_or("DATABASE_SRCBUNDLE", "");
  c.src_label = params.get_or("DATABASE_SRCLABEL", "");
  c.dest_repo = params.get_or("DATABASE_DESTREPO", "");
  c.dest_label = params.get_or("DATABASE_DESTLABEL", "");
  c.dest_message = params.get_or("DATABASE_DESTMESSAGE", "");
  c.owner = params.get_or("DATABASE_OWNER", c.owner);
  c.run_as = params.get_or("DATABASE_RUNAS", "");
  c.listen = params.get_or("DATABASE_LISTEN", "");
  c.upgrade = params.get_bool("DATABASE_UPGRADE", false);
  validate_pg_config(c, origin);
  return c;
}

void validate_pg_config(const PgSidecarConfig& c, const std::string& origin) {
  if (c.coord.empty()) throw bad_pg_config(origin, "globalOpts.coordPoint is empty");
  if (c.name.empty() || c.name.find('/') != std::string::npos || c.name == "." || c.name == "..") {
    throw bad_pg_config(origin, "database.name '" + c.name + "' must be a plain folder name");
  }
  if (c.port.empty() || c.port.size() > 5 || c.port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(c.port) == 0 || std::stoi(c.port) > 65535) {
    throw bad_pg_config(origin, "database.pgPort '" + c.port + "' is not a port number");
  }
  if (c.data_dir.empty()) throw bad_pg_config(origin, "database.dataDir is empty");
  if (!c.dest_repo.empty() && c.dest_message.empty()) {
    throw bad_pg_config(origin, "database '" + c.name + "': destRepo needs destMessage");
  }
  if (c.dest_repo.empty() && (!c.dest_label.empty() || !c.dest_message.empty())) {
    throw bad_pg_config(origin, "database '" + c.name + "': destLabel/destMessage given without destRepo");
  }
  if (!c.src_bundle.empty() && !c.src_label.empty()) {
    throw bad_pg_config(origin, "database '" + c.name + "': give srcBundle or srcLabel, not both");
  }
  if (c.src_repo.empty() && (!c.src_bundle.empty() || !c.src_label.empty())) {
    throw bad_pg_config(origin, "database '" + c.name + "': srcBundle/srcLabel given without srcRepo");
  }
  if (c.src_repo.empty() && c.upgrade) {
    throw bad_pg_config(
        origin, "database '" + c.name + "': upgrade given without srcRepo (a fresh cluster has nothing to upgrade)");
  }
}

}  // namespace dm::sidecar
