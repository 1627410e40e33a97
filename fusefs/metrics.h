// Metrics of a mount, in Prometheus form (prometheus-cpp), optionally served as text on an
// HTTP address: FUSE operations and their latency, cache hits by tier, leaves and bytes fetched
// and the fetch latency, verification failures, read errors, evictions, prefetches (issued by
// kind, used, wasted, bytes), page-cache pushes, --preload progress, and memory (RAM cache,
// disk cache, inode table, process RSS read at scrape time).
// Every method is thread-safe (prometheus-cpp counters and gauges are atomic).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace prometheus {
class Exposer;
}

namespace dm::fusefs {

enum class FuseOp { Lookup, Getattr, Readdir, Read, Open, Statfs, Write, Other };
constexpr size_t kFuseOpCount = 8;

// Why a leaf was fetched before anyone asked: the sequential readahead window, the rest of a
// file read at random, the next files of a directory, a small file's other leaves, --preload.
enum class PrefetchKind { Readahead, RandomFile, Directory, SmallFile, Preload };
constexpr size_t kPrefetchKindCount = 5;

// Where a leaf came from: RAM, disk, a fetch already under way for another reader, or the store.
enum class CacheTier { Ram, Disk, Shared, Store };
constexpr size_t kCacheTierCount = 4;

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Serves GET /metrics on `address` ("127.0.0.1:9100", or ":9100"). Throws dm::Error naming
  // the address when it cannot listen.
  void serve(const std::string& address);
  // The bound port (after serve), for tests that ask for port 0.
  std::vector<int> listening_ports() const;

  void fuse_op(FuseOp op, double seconds, bool failed);
  void leaf_served(CacheTier tier);
  void leaf_fetched(uint64_t bytes, double seconds);
  void verification_failure();
  void read_error();
  void eviction(bool disk);
  void set_ram_cache_bytes(uint64_t bytes);
  void set_disk_cache_bytes(uint64_t bytes);
  void set_index_bytes(uint64_t bytes);
  // Guesses: issued (by kind), read by a reader (used), evicted or dropped unread (wasted), and
  // the bytes they fetched.
  void prefetch_issued(PrefetchKind kind);
  void prefetch_used();
  void prefetch_wasted();
  void prefetch_bytes(uint64_t bytes);
  // A file's leaf list (its root blob) read ahead of any read of the file.
  void prefetch_leaf_list();
  // Verified leaf bytes handed to the kernel's page cache ahead of the reads.
  void page_cache_pushed(uint64_t bytes);
  // A verified leaf the feed had no room to queue: not handed to the page cache (a read of it
  // after the RAM tier let it go fetches it again).
  void page_cache_dropped();
  // --preload: files matched, files done (cached) or failed, bytes of the matched files.
  void set_preload_files(uint64_t matched);
  void preload_file_done(bool failed, uint64_t bytes);

  prometheus::Registry& registry() { return *registry_; }
  // Current values, for tests.
  double served(CacheTier tier) const;
  double verification_failures() const { return verify_failures_->Value(); }
  double read_errors() const { return read_errors_->Value(); }
  double prefetches_issued() const;
  double prefetches_used() const { return prefetch_used_->Value(); }
  double prefetches_wasted() const { return prefetch_wasted_->Value(); }
  double page_cache_pushed_bytes() const { return page_cache_bytes_->Value(); }
  double page_cache_drops() const { return page_cache_dropped_->Value(); }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Collectable> process_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::array<prometheus::Counter*, kFuseOpCount> ops_{};
  std::array<prometheus::Counter*, kFuseOpCount> op_errors_{};
  std::array<prometheus::Histogram*, kFuseOpCount> op_latency_{};
  std::array<prometheus::Counter*, kCacheTierCount> served_{};
  prometheus::Counter* leaves_fetched_ = nullptr;
  prometheus::Counter* bytes_fetched_ = nullptr;
  prometheus::Histogram* fetch_latency_ = nullptr;
  prometheus::Counter* verify_failures_ = nullptr;
  prometheus::Counter* read_errors_ = nullptr;
  prometheus::Counter* ram_evictions_ = nullptr;
  prometheus::Counter* disk_evictions_ = nullptr;
  prometheus::Gauge* ram_bytes_ = nullptr;
  prometheus::Gauge* disk_bytes_ = nullptr;
  prometheus::Gauge* index_bytes_ = nullptr;
  std::array<prometheus::Counter*, kPrefetchKindCount> prefetch_issued_{};
  prometheus::Counter* prefetch_leaf_lists_ = nullptr;
  prometheus::Counter* prefetch_used_ = nullptr;
  prometheus::Counter* prefetch_wasted_ = nullptr;
  prometheus::Counter* prefetch_bytes_ = nullptr;
  prometheus::Counter* page_cache_bytes_ = nullptr;
  prometheus::Counter* page_cache_dropped_ = nullptr;
  prometheus::Gauge* preload_matched_ = nullptr;
  prometheus::Counter* preload_done_ = nullptr;
  prometheus::Counter* preload_failed_ = nullptr;
  prometheus::Counter* preload_bytes_ = nullptr;
};

}  // namespace dm::fusefs
