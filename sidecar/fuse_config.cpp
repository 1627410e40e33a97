#include "sidecar/fuse_config.h"

#include "common/util/error.h"
#include "common/util/files.h"
#include "sidecar/legacy_params.h"

namespace dm::sidecar {

namespace {

const std::vector<std::string> kGlobalKeys = {
    "GLOBALOPTS_COORDPOINT",   "GLOBALOPTS_CONFIGBUCKETNAME", "GLOBALOPTS_CONTEXTNAME", "GLOBALOPTS_SLEEPINSTEADOFEXIT",
    "GLOBALOPTS_SLEEPTIMEOUT", "GLOBALOPTS_POLLINTERVAL",     "GLOBALOPTS_APPTIMEOUT",  "GLOBALOPTS_MOUNTTIMEOUT"};
const std::vector<std::string> kBundleKeys = {"SRCPATH",     "SRCREPO",    "SRCLABEL",    "SRCBUNDLE",
                                              "SRCPREFETCH", "SRCPRELOAD", "DESTPATH",    "DESTREPO",
                                              "DESTMESSAGE", "DESTLABEL",  "DESTBUNDLEID"};

Error bad_fuse_config(const std::string& origin, const std::string& what) {
  return Error(ErrorKind::InvalidArgument, "fuse sidecar config " + origin + ": " + what);
}

}  // namespace

std::string read_fuse_params(const std::optional<std::filesystem::path>& file, const config::EnvLookup& env,
                             std::string& origin) {
  if (file) {
    origin = dm::quoted(file->string());
    std::error_code ec;
    if (!std::filesystem::is_regular_file(*file, ec)) throw bad_fuse_config(origin, "no such file");
    return dm::read_file(*file);
  }
  const auto inline_or_path = env("dm_fuse_params");
  if (!inline_or_path) {
    throw Error(ErrorKind::InvalidArgument, "fuse sidecar: no parameters (give --config FILE or set dm_fuse_params)");
  }
  std::error_code ec;
  if (inline_or_path->find('\n') == std::string::npos && std::filesystem::is_regular_file(*inline_or_path, ec)) {
    origin = "'" + *inline_or_path + "' (from dm_fuse_params)";
    return dm::read_file(*inline_or_path);
  }
  origin = "dm_fuse_params (inline YAML)";
  return *inline_or_path;
}

FuseSidecarConfig load_fuse_config(const std::string& yaml_text, const std::string& origin,
                                   const config::EnvLookup& env) {
  auto params = LegacyParams::parse(yaml_text, origin);
  std::vector<std::string> keys = kGlobalKeys;
  for (const auto& item : params.list_items("BUNDLES")) {
    for (const auto& k : kBundleKeys) keys.push_back("BUNDLES_" + item.key + "_" + k);
  }
  params.apply_env(keys, env);

  FuseSidecarConfig c;
  c.coord = params.get_or("GLOBALOPTS_COORDPOINT", c.coord.string());
  c.config_bucket = params.get_or("GLOBALOPTS_CONFIGBUCKETNAME", "");
  c.context = params.get_or("GLOBALOPTS_CONTEXTNAME", "");
  c.sleep_instead_of_exit = params.get_bool("GLOBALOPTS_SLEEPINSTEADOFEXIT", false);
  c.sleep_timeout = params.get_duration("GLOBALOPTS_SLEEPTIMEOUT", c.sleep_timeout);
  c.poll_interval = params.get_duration("GLOBALOPTS_POLLINTERVAL", c.poll_interval);
  c.app_timeout = params.get_duration("GLOBALOPTS_APPTIMEOUT", c.app_timeout);
  c.mount_timeout = params.get_duration("GLOBALOPTS_MOUNTTIMEOUT", c.mount_timeout);

  for (const auto& item : params.list_items("BUNDLES")) {
    const auto key = [&](const std::string& k) { return params.get_or("BUNDLES_" + item.key + "_" + k, ""); };
    const std::string name = item.name;
    const bool is_source =
        !key("SRCPATH").empty() || !key("SRCREPO").empty() || !key("SRCLABEL").empty() || !key("SRCBUNDLE").empty();
    const bool is_destination = !key("DESTPATH").empty() || !key("DESTREPO").empty() || !key("DESTMESSAGE").empty() ||
                                !key("DESTLABEL").empty() || !key("DESTBUNDLEID").empty();
    if (is_source && is_destination) {
      throw bad_fuse_config(origin, "bundle '" + name + "' is both a source (src*) and a destination (dest*)");
    }
    if (!is_source && !is_destination)
      throw bad_fuse_config(origin, "bundle '" + name + "' has neither src* nor dest* keys");
    if (is_destination &&
        (params.get("BUNDLES_" + item.key + "_SRCPREFETCH") || params.get("BUNDLES_" + item.key + "_SRCPRELOAD"))) {
      throw bad_fuse_config(origin,
                            "bundle '" + name + "' is a destination: srcPrefetch and srcPreload apply to sources");
    }
    if (is_source) {
      FuseSource source{name, key("SRCPATH"), key("SRCREPO"), key("SRCLABEL"), key("SRCBUNDLE"), {}, {}};
      if (const auto prefetch = params.get("BUNDLES_" + item.key + "_SRCPREFETCH")) {
        const auto& v = *prefetch;
        if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos) {
          throw bad_fuse_config(
              origin, "bundle '" + name + "': srcPrefetch '" + v + "' is not a number of files (0 to 999999)");
        }
        source.prefetch = static_cast<unsigned>(std::stoul(v));
      }
      if (auto preload = params.get("BUNDLES_" + item.key + "_SRCPRELOAD")) source.preload = *preload;
      c.sources.push_back(std::move(source));
    } else {
      c.destinations.push_back(
          {name, key("DESTPATH"), key("DESTREPO"), key("DESTMESSAGE"), key("DESTLABEL"), key("DESTBUNDLEID")});
    }
  }
  validate_fuse_config(c, origin);
  return c;
}

void validate_fuse_config(const FuseSidecarConfig& c, const std::string& origin) {
  if (c.coord.empty()) throw bad_fuse_config(origin, "globalOpts.coordPoint is empty");
  for (const auto& s : c.sources) {
    const std::string at = "bundle '" + s.name + "': ";
    if (s.mount_point.empty()) throw bad_fuse_config(origin, at + "srcPath (the mount point) is required");
    if (s.repo.empty()) throw bad_fuse_config(origin, at + "srcRepo is required");
    if (s.label.empty() == s.bundle.empty())
      throw bad_fuse_config(origin, at + "give exactly one of srcLabel and srcBundle");
  }
  for (const auto& d : c.destinations) {
    const std::string at = "bundle '" + d.name + "': ";
    if (d.folder.empty()) throw bad_fuse_config(origin, at + "destPath (the folder to upload) is required");
    if (d.repo.empty()) throw bad_fuse_config(origin, at + "destRepo is required");
    if (d.message.empty()) throw bad_fuse_config(origin, at + "destMessage is required");
    std::error_code ec;
    if (!d.bundle_id_file.empty() && std::filesystem::exists(d.bundle_id_file, ec)) {
      throw bad_fuse_config(origin, at + "destBundleID file '" + d.bundle_id_file.string() + "' already exists");
    }
  }
}

}  // namespace dm::sidecar
