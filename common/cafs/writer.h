// Writer: stores a file's content in the blob bucket as datamon leaves and a root blob.
//
// The file is cut into leaf_size leaves (spec §4.2), each hashed (§4.3) and stored under its
// key unless the store already holds a valid copy (of the content's size, and with a matching
// CRC32C where the backend reports one) or the key is in `known` (leaves of a parent bundle that
// are known to exist: no request at all). Leaves are hashed and stored in parallel on the
// shared leaf pool; the leaves read but not yet stored, over all files, are bounded (twice the
// pool's width) and their buffers reused. The root blob is written after all of the file's
// leaves. Thread-safe: many files may be put at once.
//
// Against a store where a create-if-absent is cheaper than a check (a local folder,
// Store::write_first_is_cheaper), a blob small enough to be written through the page cache is
// created first while the blobs before it were mostly absent (PresenceGuess), and checked only
// when the create says it is there; a large leaf, or any blob while most were present, is
// checked first.
//
// A duplicate found in the store that was last written more than kRefreshAfterSeconds ago is
// written again (Overwrite, same bytes): `purge` deletes only unreferenced blobs older than
// its grace period, so a blob this upload is about to reference must look recent until the
// bundle is committed. `purge` refuses a grace period shorter than kRefreshAfterSeconds.
#pragma once

#include <atomic>
#include <filesystem>
#include <string_view>
#include <unordered_set>

#include "common/cafs/key.h"
#include "common/cafs/presence_guess.h"
#include "common/store/store.h"
#include "common/util/buffer_pool.h"
#include "common/util/progress.h"
#include "common/util/thread_pool.h"

namespace dm::cafs {

using KeySet = std::unordered_set<Key, KeyHash>;

// Six hours: a blob re-used at most this long after its last write is not re-written.
constexpr int64_t kRefreshAfterSeconds = int64_t{6} * 3600;

struct PutResult {
  Key root;
  uint64_t size = 0;
  uint64_t leaves = 0;
  uint64_t leaves_stored = 0;  // leaves actually written (not already present)
  uint64_t bytes_stored = 0;   // bytes of those leaves
  bool root_stored = false;
};

struct WriterStats {
  std::atomic<uint64_t> leaves{0};
  std::atomic<uint64_t> leaves_stored{0};
  std::atomic<uint64_t> bytes_stored{0};
  std::atomic<uint64_t> existence_checks{0};
  std::atomic<uint64_t> created_first{0};    // blobs stored by a create-if-absent before any check
  std::atomic<uint64_t> found_by_create{0};  // creates that found the blob there (a wasted write)
  std::atomic<uint64_t> blobs_refreshed{0};  // old duplicates re-written for purge's grace period
};

class Writer {
 public:
  Writer(store::Store& blobs, uint32_t leaf_size, ThreadPool& leaf_pool, const KeySet* known = nullptr);

  PutResult put_file(const std::filesystem::path& path, Progress* progress = nullptr);
  PutResult put_bytes(std::string_view data);

  const WriterStats& stats() const { return stats_; }
  uint32_t leaf_size() const { return leaf_size_; }

 private:
  // Stores `data` under `name` unless a valid copy exists; returns true if it wrote.
  bool store_blob(const std::string& name, std::string_view data);

  store::Store& blobs_;
  uint32_t leaf_size_;
  ThreadPool& pool_;
  const KeySet* known_;
  const bool write_first_;  // the store's write_first_is_cheaper()
  PresenceGuess presence_;
  BufferPool leaf_buffers_;  // leaves read from files: reused, never allocated per leaf
  WriterStats stats_;
};

}  // namespace dm::cafs
