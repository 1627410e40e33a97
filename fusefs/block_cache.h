// BlockCache: verified leaves for the mount, from RAM, disk, or one fetch from the blob store.
//
// The RAM tier is an LRU under a byte budget; the optional disk tier (DiskCache) sits below
// it. However many readers want a leaf at once, it is fetched once (single-flight) and every
// leaf from the store is BLAKE2b-verified by cafs::Reader before it is cached or handed out.
// Failures are never cached: the next read of the leaf tries again. Prefetches run on the
// shared dm::ThreadPool, so leaves of one read or of readahead arrive in parallel. Leaf
// buffers are recycled through a LeafPool (an evicted leaf's buffer holds the next fetch).
// Thread-safe. get() must not be called from a task of the same pool (it may wait on one).
#pragma once

#include <cstdint>
#include <filesystem>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/cafs/key.h"
#include "common/cafs/reader.h"
#include "common/util/thread_pool.h"
#include "fusefs/disk_cache.h"
#include "fusefs/leaf_buffer.h"
#include "fusefs/leaf_pool.h"
#include "fusefs/leaf_source.h"
#include "fusefs/metrics.h"

namespace dm::fusefs {

using LeafList = std::shared_ptr<const std::vector<cafs::Key>>;

struct BlockCacheOptions {
  uint64_t ram_bytes = 256ull << 20;
  std::filesystem::path disk_dir;  // empty: no disk tier
  uint64_t disk_bytes = 10ull << 30;
};

class BlockCache {
 public:
  BlockCache(cafs::Reader& reader, ThreadPool& pool, Metrics& metrics, const BlockCacheOptions& options);
  ~BlockCache();
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // Leaf `index` of `leaves`, verified. Throws dm::Error (NotFound, Corrupt, Unavailable...)
  // naming the leaf object.
  LeafData get(const LeafList& leaves, size_t index);
  // Starts fetching leaf `index` in the background unless it is cached or on its way.
  void prefetch(const LeafList& leaves, size_t index);

  uint64_t ram_bytes() const;
  uint64_t ram_budget() const { return options_.ram_bytes; }
  const DiskCache* disk() const { return disk_.get(); }

 private:
  using Pending = std::shared_future<LeafData>;
  struct Slot {
    LeafData data;
    std::list<cafs::Key>::iterator position;
  };
  // Fetches (disk, then store), caches and fulfils the pending entry of leaves[index].
  void load(const LeafList& leaves, size_t index, std::promise<LeafData>& promise);
  LeafData fetch(const LeafList& leaves, size_t index);
  void insert_ram(const cafs::Key& key, const LeafData& data);

  LeafSource source_;
  Metrics& metrics_;
  BlockCacheOptions options_;
  std::unique_ptr<DiskCache> disk_;
  std::shared_ptr<LeafPool> buffers_;

  mutable std::mutex mutex_;
  std::list<cafs::Key> lru_;  // front = most recently used
  std::unordered_map<cafs::Key, Slot, cafs::KeyHash> ram_;
  std::unordered_map<cafs::Key, Pending, cafs::KeyHash> pending_;
  uint64_t ram_used_ = 0;
  // Background fetches still running; the destructor waits for them.
  std::shared_ptr<TaskGroup> background_;
};

}  // namespace dm::fusefs
