#include "common/config/config.h"

#include <pwd.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include "common/util/ascii.h"
#include "common/util/error.h"
#include "common/util/files.h"

namespace fs = std::filesystem;

namespace dm::config {

namespace {

// viper reads a config file by its extension: JSON is YAML's subset and goes through the same
// parser; TOML has its own.
std::map<std::string, std::string> read_file_keys(const fs::path& path) {
  const auto ext = ascii_lower(path.extension().string());
  if (ext == ".toml") return parse_toml_config_keys(read_file(path), path.string());
  if (ext == ".yaml" || ext == ".yml" || ext == ".json" || ext.empty()) {
    return parse_config_keys(read_file(path), path.string());
  }
  throw Error(ErrorKind::InvalidArgument, "config file " + dm::quoted(path.string()) + ": unsupported config type " +
                                              dm::quoted(ext) + " (use .yaml, .yml, .json or .toml)");
}

std::string os_user_name() {
  if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name) return pw->pw_name;
  return {};
}

}  // namespace

std::map<std::string, std::string> parse_config_keys(const std::string& text, const std::string& origin) {
  std::map<std::string, std::string> keys;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(ErrorKind::InvalidArgument, "config file '" + origin + "' is not valid YAML (line " +
                                                std::to_string(e.mark.line + 1) + "): " + e.msg);
  }
  if (root.IsNull()) return keys;
  if (!root.IsMap()) throw Error(ErrorKind::InvalidArgument, "config file '" + origin + "' is not a mapping");
  // A key that is itself a list or mapping names no setting: yaml-cpp would throw its own
  // BadConversion from as<std::string>(), so it is refused here by name instead.
  auto key_text = [&](const YAML::Node& key) {
    if (!key.IsScalar()) {
      throw Error(ErrorKind::InvalidArgument, "config file '" + origin + "' has a key that is not a string (line " +
                                                  std::to_string(key.Mark().line + 1) + ")");
    }
    return ascii_lower(key.Scalar());
  };
  for (const auto& kv : root) {
    const auto key = key_text(kv.first);
    if (kv.second.IsScalar()) keys[key] = kv.second.Scalar();
    if (kv.second.IsMap()) {
      for (const auto& sub : kv.second) {
        if (sub.second.IsScalar()) keys[key + "." + key_text(sub.first)] = sub.second.Scalar();
      }
    }
  }
  return keys;
}

std::optional<fs::path> find_config_file(const EnvLookup& env) {
  if (auto p = env("DATAMON_CONFIG")) return fs::path(*p);
  // viper: each folder in turn, and in a folder the first of its supported extensions in
  // viper.SupportedExts order.
  std::vector<fs::path> folders{fs::path(".")};
  if (auto home = env("HOME")) folders.push_back(fs::path(*home) / ".datamon2");
  folders.push_back("/etc/datamon2");
  for (const auto& folder : folders) {
    for (const char* ext : {".json", ".toml", ".yaml", ".yml"}) {
      const auto c = folder / (std::string("datamon") + ext);
      std::error_code ec;
      if (fs::is_regular_file(c, ec)) return folder == "." ? fs::path(c.filename()) : c;
    }
  }
  return std::nullopt;
}

Config load_config(const ConfigOverrides& flags, const EnvLookup& env) {
  Config config;
  std::map<std::string, std::string> file;
  if (auto path = find_config_file(env)) {
    std::error_code ec;
    if (fs::exists(*path, ec)) {
      file = read_file_keys(*path);
      config.file = *path;
    } else if (env("DATAMON_CONFIG")) {
      throw Error(ErrorKind::NotFound, "config file '" + path->string() + "' (DATAMON_CONFIG) does not exist");
    }
  }
  // flag > env (first set name wins) > file > default
  auto pick = [&](const std::optional<std::string>& flag, std::initializer_list<const char*> env_names,
                  const char* file_key, std::string fallback) {
    if (flag) return *flag;
    for (const char* name : env_names) {
      if (auto v = env(name)) return *v;
    }
    if (auto it = file.find(ascii_lower(file_key)); it != file.end() && !it->second.empty()) return it->second;
    return fallback;
  };
  config.store.env = env;
  config.config_bucket = pick(flags.config, {"DATAMON_GLOBAL_CONFIG"}, "config", "");
  config.context = pick(flags.context, {"DATAMON_CONTEXT"}, "context", "dev");
  config.store.credential_file = pick(flags.credential, {"DATAMON_CREDENTIAL"}, "credential", "");
  config.contributor.name = pick(flags.name, {"DATAMON_NAME"}, "name", "");
  config.contributor.email = pick(flags.email, {"DATAMON_EMAIL"}, "email", "");
  config.store.s3_endpoint = pick(flags.s3_endpoint, {"DATAMON_S3_ENDPOINT"}, "s3Endpoint", "");
  config.store.s3_region = pick(flags.s3_region, {"DATAMON_S3_REGION"}, "s3Region", "us-east-1");
  config.store.gcs_endpoint =
      pick(flags.gcs_endpoint, {"DATAMON_GCS_ENDPOINT", "STORAGE_EMULATOR_HOST"}, "gcsEndpoint", "");
  config.log_level = pick(flags.log_level, {"DATAMON_LOGLEVEL"}, "loglevel", "info");
  if (config.contributor.name.empty() && config.contributor.email.empty()) config.contributor.name = os_user_name();
  return config;
}

std::optional<std::string> file_log_level(const EnvLookup& env) {
  const auto path = find_config_file(env);
  std::error_code ec;
  if (!path || !fs::exists(*path, ec)) return std::nullopt;
  const auto keys = read_file_keys(*path);
  const auto it = keys.find("loglevel");
  if (it == keys.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::string spdlog_level(const std::string& go_level) {
  std::string l = ascii_lower(go_level);
  if (l == "none" || l == "off") return "off";
  if (l == "trace" || l == "debug" || l == "info" || l == "warn" || l == "error") return l;
  if (l == "warning") return "warn";
  if (l == "dpanic" || l == "panic" || l == "fatal") return "critical";
  throw Error(ErrorKind::InvalidArgument,
              "unrecognized level: " + dm::quoted(go_level) + " (use none, error, warn, info or debug)");
}

const std::string& require_config_bucket(const Config& config) {
  if (config.config_bucket.empty()) {
    throw Error(ErrorKind::InvalidArgument,
                "no config bucket: pass --config, set DATAMON_GLOBAL_CONFIG, or put 'config:' in datamon.yaml");
  }
  return config.config_bucket;
}

}  // namespace dm::config
