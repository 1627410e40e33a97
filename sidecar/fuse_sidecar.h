// `datamon sidecar fuse`: mounts every source bundle, raises `mountdone`, waits for the
// application (app_gate.h), unmounts, uploads every destination folder as a new bundle (with
// its label, writing the id to destBundleID when asked) and raises `uploaddone`.
//
// Each mount is a `datamon bundle mount` child of this process, bound to its life. Any failure
// raises `fusefailed` with a one-line reason naming the bundle entry, after unmounting
// everything; a SIGTERM does the same unless the work was finished. No mount is left behind.
#pragma once

#include <string>
#include <vector>

#include "common/config/config.h"
#include "sidecar/fuse_config.h"

namespace dm::sidecar {

struct FuseSidecarRun {
  FuseSidecarConfig config;
  config::Config datamon;                    // store access for the uploads
  std::vector<std::string> datamon_command;  // the datamon binary and its global flags, for the mounts
};

// The process exit code: 0 when finished (outputs saved, or discarded because the app failed),
// 1 on failure, 128+signal when terminated before finishing.
int run_fuse_sidecar(const FuseSidecarRun& run);

}  // namespace dm::sidecar
