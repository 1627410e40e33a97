// FuseServer: the read-only bundle filesystem on the libfuse3 low-level API.
//
// Multi-threaded; 1 MiB reads; entry, attribute and negative-lookup timeouts are effectively
// infinite (a bundle never changes); no-open and no-opendir when the kernel offers them, else
// keep_cache on every open; READDIRPLUS with "." and ".."; mode bits and times from the index;
// statfs reports the bundle's bytes and files; every write-type request answers EROFS. A read
// whose leaf is missing or corrupt answers EIO, logs the bundle, file and cause, and counts
// it; the mount stays up. run() returns after SIGTERM, SIGINT or SIGHUP (it unmounts) or an
// external unmount. The calling thread must be the only one not blocking those signals
// (see block_termination_signals).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "fusefs/bundle_index.h"
#include "fusefs/content_reader.h"
#include "fusefs/metrics.h"
#include "fusefs/page_cache_feed.h"

struct fuse_session;

namespace dm::fusefs {

struct FuseServerOptions {
  std::filesystem::path mountpoint;
  std::string fsname;     // shown as the mount's source: the repo
  std::string bundle_id;  // for log lines
  unsigned max_threads = 32;
  bool allow_other = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

// `value` as one value of a FUSE -o option list: ',' and '\' escaped with a backslash (libfuse
// unescapes them), so a repo named "x,allow_other" cannot add an option of its own.
std::string fuse_option_value(std::string_view value);

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread, so that threads started afterwards
// inherit the block and these signals reach only the thread that runs FuseServer::run.
void block_termination_signals();

class FuseServer {
 public:
  // `feed` is attached to the session while it runs (page-cache stores of verified leaves).
  FuseServer(const BundleIndex& index, ContentReader& content, Metrics& metrics, PageCacheFeed& feed,
             FuseServerOptions options);
  FuseServer(const FuseServer&) = delete;
  FuseServer& operator=(const FuseServer&) = delete;

  // Mounts (throws dm::Error naming the mount point on failure), calls `on_ready`, serves until
  // unmounted or signalled, then unmounts.
  void run(const std::function<void()>& on_ready);

 private:
  friend struct FuseOps;  // the request handlers, in fuse_server.cpp

  const BundleIndex& index_;
  ContentReader& content_;
  Metrics& metrics_;
  PageCacheFeed& feed_;
  FuseServerOptions options_;
  bool no_open_ = false;  // negotiated in init: opens never reach us
  bool no_opendir_ = false;
};

}  // namespace dm::fusefs
