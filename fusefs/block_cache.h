// BlockCache: verified leaves for the mount, from RAM, disk, or one fetch from the blob store.
//
// The RAM tier is an LruCache charged in bytes under a budget; the optional disk tier
// (DiskCache) sits below it. However many readers want a leaf at once, it is fetched once
// (single-flight) and every leaf from the store is BLAKE2b-verified by cafs::Reader before it
// is cached or handed out.
// Failures are never cached: the next read of the leaf tries again.
//
// Demand comes first. get() fetches on the caller's thread; a leaf already queued as a guess
// (prefetch) but not started is taken over by the reader rather than waited for behind other
// guesses; fetch_ahead() queues the other leaves of one read in the FetchQueue's demand lane.
// Guesses (prefetch) run in its speculative lane, by priority, and hold back while readers wait
// for fetches; writes to the disk tier run in its local lane (they do not use the store). A guessed leaf is kept in RAM
// as "unread" only within half of the budget, and making room for it never evicts a leaf a
// reader holds at that moment; an unread leaf that is evicted counts as wasted. A leaf fetched
// from the store is handed to its readers before it is written to the disk tier. Leaf buffers are
// recycled through a LeafPool; a disk-tier hit is read and verified in one of them. A RAM hit
// allocates nothing. Thread-safe. The destructor cancels queued guesses and waits for running
// fetches.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/cafs/key.h"
#include "common/cafs/reader.h"
#include "fusefs/disk_cache.h"
#include "fusefs/fetch_queue.h"
#include "fusefs/leaf_buffer.h"
#include "fusefs/leaf_pool.h"
#include "fusefs/leaf_source.h"
#include "fusefs/lru_cache.h"
#include "fusefs/metrics.h"

namespace dm::fusefs {

using LeafList = std::shared_ptr<const std::vector<cafs::Key>>;

struct BlockCacheOptions {
  uint64_t ram_bytes = 256ull << 20;
  std::filesystem::path disk_dir;  // empty: no disk tier
  uint64_t disk_bytes = 10ull << 30;
};

// How a guess is kept once fetched.
enum class Keep {
  Ram,       // in RAM as unread (and on disk when there is a disk tier)
  DiskOnly,  // on disk only (preload into a disk tier); RAM when there is no disk tier
};

class BlockCache {
 public:
  // Called once with the verified leaf when a guess that asked for it is fetched (or was
  // already in RAM). Never called on failure.
  using OnReady = std::function<void(const LeafData&)>;

  BlockCache(cafs::Reader& reader, FetchQueue& queue, Metrics& metrics, const BlockCacheOptions& options);
  ~BlockCache();  // stop()
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // Leaf `index` of `leaves`, verified. Throws dm::Error (NotFound, Corrupt, Unavailable...)
  // naming the leaf object. `bytes`: the leaf's expected length (0: a whole leaf). While the
  // caller waits for a fetch of at least half a leaf, it counts as a waiting reader
  // (FetchQueue::ReaderWait); small leaves are not: their fetches are latency, not bandwidth,
  // and the folder prefetch for readers of small files must go on however many there are.
  LeafData get(const LeafList& leaves, size_t index, uint64_t bytes = 0);
  // Starts fetching leaf `index` in the demand lane (a reader will get() it next).
  void fetch_ahead(const LeafList& leaves, size_t index);
  // Guesses that leaf `index` will be read: fetches it in the speculative lane unless it is
  // cached or on its way (a queued guess is moved up when `priority` is sooner).
  // `bytes`: the leaf's expected length (0: a whole leaf), for the queue's byte budget.
  void prefetch(const LeafList& leaves, size_t index, uint64_t priority, PrefetchKind kind, OnReady on_ready = {},
                Keep keep = Keep::Ram, uint64_t bytes = 0);

  // Fetches leaf `index` as a guess of `kind`, kept per `keep`, on the calling thread, unless it
  // is held already or on its way (then waits for it). Throws as get() does.
  void warm(const LeafList& leaves, size_t index, PrefetchKind kind, Keep keep);

  // Waits until no fetch is queued or running (for tests and drills).
  void wait_idle();
  // Cancels queued fetches, refuses new guesses and waits for the running fetches (and their
  // after-fetch callbacks). Idempotent.
  void stop();

  // Whether the leaf is in RAM or on disk (no I/O, no verification).
  bool holds(const cafs::Key& key) const;
  uint64_t ram_bytes() const;
  uint64_t unread_bytes() const;
  uint64_t ram_budget() const { return options_.ram_bytes; }
  const DiskCache* disk() const { return disk_.get(); }
  DiskCache* disk() { return disk_.get(); }

 private:
  struct Pending {
    std::promise<LeafData> promise;
    std::shared_future<LeafData> future = promise.get_future().share();
    std::atomic<bool> claimed{false};  // someone runs (or ran) the fetch
    // Guarded by BlockCache::mutex_:
    bool speculative = false;
    bool wanted = false;  // a reader waits for it: not a guess any more
    Keep keep = Keep::Ram;
    uint64_t priority = 0;
    std::vector<OnReady> on_ready;
  };
  struct Slot {
    LeafData data;
    bool unread = false;  // a guess no reader has asked for yet
  };
  // Fetches (disk, then store), caches and fulfils `pending`; runs on the thread that claimed it.
  void load(const LeafList& leaves, size_t index, const std::shared_ptr<Pending>& pending);
  void cancel(const cafs::Key& key, const std::shared_ptr<Pending>& pending);
  // The leaf from disk or the store; `from_store` says which (a leaf from the store still has to
  // be written to the disk tier, which load() does once every waiting reader has it).
  LeafData fetch(const LeafList& leaves, size_t index, bool& from_store);
  // The leaf from the disk tier, verified in a leaf buffer; null when absent or not verified.
  LeafData from_disk(const LeafList& leaves, size_t index);
  void write_to_disk(const cafs::Key& key, const LeafData& leaf);
  void insert_ram(const cafs::Key& key, const LeafData& data, bool unread);
  void queue_task(Lane lane, uint64_t priority, const LeafList& leaves, size_t index,
                  const std::shared_ptr<Pending>& pending, uint64_t bytes = 0);

  LeafSource source_;
  FetchQueue& queue_;
  Metrics& metrics_;
  BlockCacheOptions options_;
  std::unique_ptr<DiskCache> disk_;
  std::shared_ptr<LeafPool> buffers_;

  mutable std::mutex mutex_;
  uint64_t unread_ = 0;                           // bytes of unread guesses in RAM
  LruCache<cafs::Key, Slot, cafs::KeyHash> ram_;  // charged in bytes
  std::unordered_map<cafs::Key, std::shared_ptr<Pending>, cafs::KeyHash> pending_;
  // Tasks queued or running that refer to this cache; the destructor waits for none.
  size_t tasks_ = 0;
  bool stopping_ = false;
  std::condition_variable tasks_done_;
};

}  // namespace dm::fusefs
