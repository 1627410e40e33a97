#include "fusefs/mount.h"

#include <malloc.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "common/cafs/hasher.h"
#include "common/cafs/reader.h"
#include "common/model/catalog.h"
#include "common/util/error.h"
#include "common/util/fuse_mounts.h"
#include "common/util/thread_pool.h"
#include "fusefs/block_cache.h"
#include "fusefs/bundle_index.h"
#include "fusefs/bundle_index_builder.h"
#include "fusefs/content_reader.h"
#include "fusefs/fetch_queue.h"
#include "fusefs/fuse_server.h"
#include "fusefs/leaf_lists.h"
#include "fusefs/metrics.h"
#include "fusefs/page_cache_feed.h"
#include "fusefs/prefetcher.h"
#include "fusefs/preloader.h"

namespace dm::fusefs {

namespace fs = std::filesystem;

bool clean_stale_mount(const fs::path& mountpoint) {
  // statfs always reaches the daemon (stat may be answered from the kernel's attribute cache).
  struct statfs st;
  if (::statfs(mountpoint.c_str(), &st) == 0 || errno != ENOTCONN) return false;
  spdlog::warn("mount point '{}' holds a stale FUSE mount; detaching it", mountpoint.string());
  detach_mount(mountpoint);
  return true;
}

namespace {

constexpr unsigned kDemandWorkers = 4;

void prepare_mountpoint(const fs::path& mountpoint) {
  clean_stale_mount(mountpoint);
  std::error_code ec;
  if (!fs::exists(mountpoint, ec)) {
    fs::create_directories(mountpoint, ec);
    if (ec) throw Error(ErrorKind::Io, "cannot create mount point '" + mountpoint.string() + "': " + ec.message());
  }
  if (!fs::is_directory(mountpoint, ec)) {
    throw Error(ErrorKind::InvalidArgument, "mount point '" + mountpoint.string() + "' is not a directory");
  }
  // A live FUSE mount there (another datamon, any FUSE file system): mounting on top would hide
  // it, and the unmount of either would surprise its owner. Any other file system mounted there
  // is the usual case in a pod (the emptyDir or hostPath volume the mount is shared through) and
  // is mounted over, as every FUSE file system does.
  struct stat here {
  }, parent{};
  if (::stat(mountpoint.c_str(), &here) == 0 && ::stat((mountpoint / "..").c_str(), &parent) == 0 &&
      here.st_dev != parent.st_dev && statfs_says_fuse(mountpoint)) {
    throw Error(ErrorKind::InvalidArgument, "mount point " + dm::quoted(mountpoint.string()) +
                                                " already has a FUSE file system mounted on it; unmount it first");
  }
}

}  // namespace

void mount_bundle(config::ContextStores& context, const MountOptions& options, const std::function<void()>& on_ready) {
  if (options.mountpoint.empty()) throw Error(ErrorKind::InvalidArgument, "bundle mount needs --mount");
  const auto mountpoint = fs::absolute(options.mountpoint).lexically_normal();
  prepare_mountpoint(mountpoint);

  auto catalog = context.catalog();
  const auto id = catalog.resolve_bundle(options.repo, options.bundle_id, options.label);
  const auto bundle = catalog.get_bundle(options.repo, id);
  // Index files are parsed one by one straight into the table: the whole index is never in
  // memory, so the start-up peak stays close to the table's size.
  const BundleIndex index = [&] {
    const auto started = std::chrono::steady_clock::now();
    BundleIndexBuilder builder(id, bundle.timestamp.value_or(model::Timestamp{}),
                               bundle.count * model::kEntriesPerIndexFile);
    if (bundle.version >= 1) builder.expect_empty_root(cafs::root_key({}, bundle.leaf_size));
    catalog.for_each_index_file(options.repo, bundle, options.index_concurrency,
                                [&](size_t, const std::string& url, const std::vector<model::BundleEntry>& entries) {
                                  builder.add(entries, url);
                                });
    const auto fetched = std::chrono::steady_clock::now();
    BundleIndex built = std::move(builder).finish();
    // index_fetch_s: fetch, parse and add (they overlap); index_build_s: the final sort.
    spdlog::info("bundle={} entries={} index_fetch_s={:.3f} index_build_s={:.3f} index_bytes={}", id,
                 built.file_count(), std::chrono::duration<double>(fetched - started).count(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - fetched).count(),
                 built.memory_bytes());
    return built;
  }();
  ::malloc_trim(0);  // hand the parsed index's memory back before serving for hours

  cafs::Reader reader(*context.blob, bundle.leaf_size, bundle.version < 1, options.verify);
  if (!options.verify) spdlog::warn("leaf verification is off (--verify-hash=false): corrupt leaves will be served");
  Metrics metrics;
  metrics.set_index_bytes(index.memory_bytes());
  if (!options.metrics_address.empty()) metrics.serve(options.metrics_address);
  // Guesses use at most fetch_threads workers at once; the extra ones are always free for the
  // leaves readers wait for (demand first).
  const unsigned fetchers = std::max(1U, options.fetch_threads);
  // Guessed leaves are verified on the CPU the readers need too: about one in flight per core.
  const uint64_t guess_bytes = uint64_t{std::max(2U, std::thread::hardware_concurrency())} * reader.leaf_size();
  FetchQueue queue(fetchers + kDemandWorkers, fetchers, guess_bytes);
  BlockCacheOptions cache_options;
  cache_options.ram_bytes = options.cache_bytes;
  cache_options.disk_dir = options.disk_cache;
  cache_options.disk_bytes = options.disk_cache_bytes;
  BlockCache cache(reader, queue, metrics, cache_options);
  LeafLists lists(index, reader, cache.disk());
  PageCacheFeed feed(metrics);
  PrefetchOptions prefetch;
  prefetch.files_ahead = options.prefetch;
  prefetch.readahead_max = options.readahead_max;
  prefetch.directory_bytes =
      std::max<uint64_t>(reader.stride(), std::min<uint64_t>(64ull << 20, options.cache_bytes / 4));
  Prefetcher prefetcher(index, lists, cache, queue, feed, metrics, reader.stride(), prefetch);
  ContentReader content(index, reader, lists, cache, prefetcher, options.readahead_max);
  std::optional<Preloader> preloader;
  if (options.preload) {
    preloader.emplace(index, lists, cache, queue, metrics, *options.preload);
    preloader->start();  // the mount does not wait for it
  }

  FuseServerOptions server_options;
  server_options.mountpoint = mountpoint;
  server_options.fsname = options.repo;
  server_options.bundle_id = id;
  server_options.uid = ::getuid();
  server_options.gid = ::getgid();
  server_options.allow_other = options.allow_other;
  FuseServer server(index, content, metrics, feed, server_options);
  // Background work stops in order: preload and guesses first, then the fetches they started
  // (whose callbacks still reach the prefetcher).
  const auto stop_background = [&] {
    preloader.reset();
    prefetcher.stop();
    cache.stop();
  };
  try {
    server.run(on_ready);
  } catch (...) {
    stop_background();
    throw;
  }
  stop_background();
}

}  // namespace dm::fusefs
