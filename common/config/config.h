// Config: what the CLI knows before it talks to any store (format spec §6, decision 16).
//
// Every key can come from a flag, a DATAMON_* environment variable or the config file
// (DATAMON_CONFIG, or datamon.{json,toml,yaml,yml} in ./, ~/.datamon2/, /etc/datamon2/);
// flags win over env, env over file, file over defaults. File keys match case-insensitively,
// as viper does; unknown keys are ignored. A file that does not parse is an error naming it.
//
//   key          env                                      flag
//   config       DATAMON_GLOBAL_CONFIG                    --config       (config bucket: URL or GCS name)
//   context      DATAMON_CONTEXT                          --context      (default "dev")
//   credential   DATAMON_CREDENTIAL                       --credential   (GCS credentials JSON path)
//   name, email  DATAMON_NAME, DATAMON_EMAIL              --name, --email (contributor)
//   s3Endpoint   DATAMON_S3_ENDPOINT                      --s3-endpoint
//   s3Region     DATAMON_S3_REGION                        --s3-region    (default us-east-1)
//   gcsEndpoint  DATAMON_GCS_ENDPOINT, STORAGE_EMULATOR_HOST --gcs-endpoint
//   loglevel     DATAMON_LOGLEVEL                         --loglevel     (default info)
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "common/model/documents.h"
#include "common/store/open_store.h"
#include "common/util/env.h"

namespace dm::config {

// The environment lookup of the util layer (common/util/env.h), by its older names here.
using dm::EnvLookup;
using dm::process_env;

struct ConfigOverrides {  // values given on the command line
  std::optional<std::string> config, context, credential, name, email, s3_endpoint, s3_region, gcs_endpoint, log_level;
};

struct Config {
  std::string config_bucket;
  std::string context = "dev";
  model::Contributor contributor;
  store::StoreOptions store;  // credential file, endpoints, region
  std::string log_level = "info";
  std::filesystem::path file;  // the config file read, if any
};

// The keys of a config file's text, lower-cased and flattened one level ("metrics.enabled");
// non-scalar values are left out. Bad YAML, a non-mapping or a non-scalar key is an
// InvalidArgument naming `origin`. Pure: the config file reader and the fuzzer call it.
std::map<std::string, std::string> parse_config_keys(const std::string& text, const std::string& origin);

// parse_config_keys for a TOML document (datamon.toml): top-level keys and one level of
// tables ("metrics.enabled"); a syntax error is an InvalidArgument naming `origin` and line.
std::map<std::string, std::string> parse_toml_config_keys(const std::string& text, const std::string& origin);

// The config file to read: DATAMON_CONFIG if set, else the first found as viper searches:
// ./, $HOME/.datamon2/, /etc/datamon2/, each for datamon.json, .toml, .yaml, .yml.
std::optional<std::filesystem::path> find_config_file(const EnvLookup& env);

Config load_config(const ConfigOverrides& flags, const EnvLookup& env);

// The `loglevel` key of the config file find_config_file picks, if it has one.
std::optional<std::string> file_log_level(const EnvLookup& env);

// The spdlog level for a Go --loglevel value (zap's names, case-insensitive, and Go's "none",
// plus "trace" and "off"); an unknown level is an InvalidArgument naming it.
std::string spdlog_level(const std::string& go_level);

// The config bucket or an error telling how to set it.
const std::string& require_config_bucket(const Config& config);

}  // namespace dm::config
