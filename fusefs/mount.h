// Mounting a bundle: resolve it, fetch its index, build the inode table and the caches, and
// serve it with FuseServer until it is unmounted or the process is told to stop.
//
// The one entry point of `datamon bundle mount` (and of the fuse sidecar). Errors before the
// mount exists are dm::Error naming the repo, bundle, label or mount point; after it exists,
// failed reads are EIO and logged, and the mount stays up.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "common/config/context.h"

namespace dm::fusefs {

struct MountOptions {
  std::string repo;
  std::string bundle_id;  // empty with an empty label: the latest bundle
  std::string label;
  std::filesystem::path mountpoint;
  uint64_t cache_bytes = 256ull << 20;  // RAM tier
  size_t prefetch = 32;                // files of a folder fetched ahead of its reader (Go's --prefetch); 0: no guesses
  size_t readahead_max = 16;           // bound of the sequential readahead window in leaves
  std::optional<std::string> preload;  // --preload GLOB: files cached in the background ("" = all)
  bool verify = true;
  unsigned fetch_threads = 10;       // parallel leaf fetches
  std::filesystem::path disk_cache;  // empty: no disk tier
  uint64_t disk_cache_bytes = 10ull << 30;
  std::string metrics_address;     // empty: no metrics endpoint
  unsigned index_concurrency = 8;  // index files fetched at once
  bool allow_other = false;        // let other users in (always with default_permissions)
};

// Serves the bundle; `on_ready` runs once the mount is visible. Returns after an unmount or
// SIGTERM/SIGINT/SIGHUP (which unmount). Call block_termination_signals() before anything
// else that starts threads (opening the context may), as `bundle mount` does.
void mount_bundle(config::ContextStores& context, const MountOptions& options, const std::function<void()>& on_ready);

// A FUSE mount whose daemon died leaves "Transport endpoint is not connected" on the mount
// point; this detaches it. Returns true if there was one.
bool clean_stale_mount(const std::filesystem::path& mountpoint);

}  // namespace dm::fusefs
