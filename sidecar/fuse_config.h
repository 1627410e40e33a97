// The fuse sidecar's parameters: the old YAML (format spec §9.4, `FUSEParams`) as it stands,
// SIDECAR_* environment overrides, then flags (decision 16). Validation follows the old
// sidecar_param rules, with errors naming the bundle entry at fault.
//
//   YAML key                         env override                           default
//   globalOpts.coordPoint            SIDECAR_GLOBALOPTS_COORDPOINT          /tmp/coord
//   globalOpts.configBucketName      SIDECAR_GLOBALOPTS_CONFIGBUCKETNAME    the datamon config
//   globalOpts.contextName           SIDECAR_GLOBALOPTS_CONTEXTNAME         the datamon config
//   globalOpts.sleepInsteadOfExit    SIDECAR_GLOBALOPTS_SLEEPINSTEADOFEXIT  false
//   globalOpts.sleepTimeout          SIDECAR_GLOBALOPTS_SLEEPTIMEOUT        600 (seconds, or 10m)
//   globalOpts.pollInterval          SIDECAR_GLOBALOPTS_POLLINTERVAL        1 (fallback polling only)
//   globalOpts.appTimeout      (new) SIDECAR_GLOBALOPTS_APPTIMEOUT          24h (longest wait for the app)
//   globalOpts.mountTimeout    (new) SIDECAR_GLOBALOPTS_MOUNTTIMEOUT        2m (per source)
//   bundles[].name                   names the entry; <NAME> in the env keys below
//   bundles[].srcPath/srcRepo        SIDECAR_BUNDLES_<NAME>_SRCPATH ...     a source: mounted
//   bundles[].srcLabel/srcBundle     SIDECAR_BUNDLES_<NAME>_SRCLABEL ...    exactly one of the two
//   bundles[].srcPrefetch      (new) SIDECAR_BUNDLES_<NAME>_SRCPREFETCH     32 (`bundle mount --prefetch`)
//   bundles[].srcPreload       (new) SIDECAR_BUNDLES_<NAME>_SRCPRELOAD      none (`bundle mount --preload`)
//   bundles[].destPath/destRepo      SIDECAR_BUNDLES_<NAME>_DESTPATH ...    a destination: uploaded
//   bundles[].destMessage/destLabel  SIDECAR_BUNDLES_<NAME>_DESTMESSAGE ...
//   bundles[].destBundleID           SIDECAR_BUNDLES_<NAME>_DESTBUNDLEID    none (file for the new id)
//
// The config file (globalOpts.configBucketName aside) is --config, DATAMON_GLOBAL_CONFIG or
// datamon.yaml as for every datamon command.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/config/config.h"

namespace dm::sidecar {

struct FuseSource {
  std::string name;
  std::filesystem::path mount_point;
  std::string repo, label, bundle;  // exactly one of label / bundle
  // srcPrefetch (new): `bundle mount --prefetch N`, files fetched ahead of a reader; 0: none.
  std::optional<unsigned> prefetch;
  // srcPreload (new): `bundle mount --preload GLOB`, files cached in the background ("*": all).
  std::optional<std::string> preload;
};

struct FuseDestination {
  std::string name;
  std::filesystem::path folder;
  std::string repo, message, label;
  std::filesystem::path bundle_id_file;  // optional: receives the new bundle id
};

struct FuseSidecarConfig {
  std::filesystem::path coord = "/tmp/coord";
  std::string config_bucket, context;  // empty: the datamon config decides
  bool sleep_instead_of_exit = false;
  std::chrono::milliseconds sleep_timeout = std::chrono::seconds(600);
  std::chrono::milliseconds poll_interval = std::chrono::seconds(1);
  std::chrono::milliseconds app_timeout = std::chrono::hours(24);
  std::chrono::milliseconds mount_timeout = std::chrono::minutes(2);
  std::vector<FuseSource> sources;
  std::vector<FuseDestination> destinations;
};

// The YAML text of the parameters: `file` when given, else $dm_fuse_params (a path, or the
// YAML itself as the old image allowed). `origin` is set to what was read, for errors.
std::string read_fuse_params(const std::optional<std::filesystem::path>& file, const config::EnvLookup& env,
                             std::string& origin);

// Parses, applies env overrides and validates (not the flags: the command applies them, then
// calls validate_fuse_config again).
FuseSidecarConfig load_fuse_config(const std::string& yaml_text, const std::string& origin,
                                   const config::EnvLookup& env);

void validate_fuse_config(const FuseSidecarConfig& config, const std::string& origin);

}  // namespace dm::sidecar
