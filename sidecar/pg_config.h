// The pg sidecar's parameters: the old YAML (format spec §9.5) with the old defaults and the
// SIDECAR_* names the old script read, then flags (decision 16: flags > env > file > defaults).
//
//   YAML key                     env                                    default
//   globalOpts.coordPoint        SIDECAR_GLOBALOPTS_COORDPOINT          /tmp/coord
//   globalOpts.pollInterval      SIDECAR_GLOBALOPTS_POLLINTERVAL        1 (fallback polling only)
//   globalOpts.sleepInsteadOfExit SIDECAR_GLOBALOPTS_SLEEPINSTEADOFEXIT false
//   globalOpts.sleepTimeout      SIDECAR_GLOBALOPTS_SLEEPTIMEOUT        600
//   globalOpts.appTimeout  (new) SIDECAR_GLOBALOPTS_APPTIMEOUT          24h
//   database.name                SIDECAR_DATABASE_NAME                  db
//   database.dataDir             SIDECAR_DATABASE_DATADIR               /pg_stage   (cluster in dataDir/name)
//   database.pgPort              SIDECAR_DATABASE_PGPORT                5432
//   database.srcRepo/srcBundle/srcLabel    SIDECAR_DATABASE_SRCREPO ...  none: a fresh cluster
//   database.destRepo/destLabel/destMessage SIDECAR_DATABASE_DESTREPO ... none: throw-away database
//   database.owner               SIDECAR_DATABASE_OWNER                 postgres
//   database.runAs         (new) SIDECAR_DATABASE_RUNAS                 none (`pg start --run-as`)
//   database.listen        (new) SIDECAR_DATABASE_LISTEN                none (`pg start --listen`)
//   database.upgrade       (new) SIDECAR_DATABASE_UPGRADE               false (`pg restore --upgrade`)
// The file is --config FILE, else $SIDECAR_CONFIG, else /config/pgparams.yaml when it exists.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "common/config/config.h"

namespace dm::sidecar {

struct PgSidecarConfig {
  std::filesystem::path coord = "/tmp/coord";
  std::chrono::milliseconds poll_interval = std::chrono::seconds(1);
  bool sleep_instead_of_exit = false;
  std::chrono::milliseconds sleep_timeout = std::chrono::seconds(600);
  std::chrono::milliseconds app_timeout = std::chrono::hours(24);
  std::string name = "db";
  std::filesystem::path data_dir = "/pg_stage";
  std::string port = "5432";
  std::string src_repo, src_bundle, src_label;
  std::string dest_repo, dest_label, dest_message;
  std::string owner = "postgres";
  std::string run_as, listen;
  bool upgrade = false;  // a source bundle of an older PostgreSQL major is pg_upgraded on restore

  std::filesystem::path cluster_dir() const { return data_dir / name; }
};

// The YAML text (empty when no file is configured) and, in `origin`, what was read.
std::string read_pg_params(const std::optional<std::filesystem::path>& file, const config::EnvLookup& env,
                           std::string& origin);

PgSidecarConfig load_pg_config(const std::string& yaml_text, const std::string& origin, const config::EnvLookup& env);

void validate_pg_config(const PgSidecarConfig& config, const std::string& origin);

}  // namespace dm::sidecar
