// Prefetcher: which leaves to fetch before anyone asks, from what the readers did so far.
//
// - Small files: the second read of a file of at most `small_file_bytes`, where the first
//   ended, fetches its other leaves at once. A first read from the start guesses nothing of its
//   own file: a reader after a header and gone must not make the next file's first byte share
//   the link with a guess.
// - Directories: the first read of a file fetches the next `files_ahead` files of its folder
//   that no reader has read yet, in
//   listing (name) order, whole when small, else their first leaf, within `directory_bytes`.
// - Random access: a file read at random that fits the cache (the disk tier when there is
//   one, else half the RAM tier) is fetched whole in the background, the leaves nearest the
//   latest reads first; of a larger one, the two leaves on each side of every random read. Every
//   leaf it fetches, and every leaf a random read fetched, is handed to the kernel's page cache
//   (PageCacheFeed).
// - Sequential reads: the readahead window (Readahead) in the same speculative lane.
// All guesses go through the BlockCache's speculative lane (FetchQueue): they never delay a
// demand read and never run more than the queue's speculative budget at once. `files_ahead`
// 0 turns every guess off. Thread-safe; the destructor stops its queued work.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "fusefs/block_cache.h"
#include "fusefs/bundle_index.h"
#include "fusefs/fetch_queue.h"
#include "fusefs/leaf_lists.h"
#include "fusefs/metrics.h"
#include "fusefs/page_cache_feed.h"
#include "fusefs/readahead.h"

namespace dm::fusefs {

struct PrefetchOptions {
  size_t files_ahead = 32;    // Go's --prefetch: files of the folder ahead of the reader; 0: no guesses at all
  size_t readahead_max = 16;  // bound of the sequential window, in leaves
  uint64_t small_file_bytes = 8ull << 20;  // read whole on first touch
  uint64_t directory_bytes = 64ull << 20;  // bound of the bytes fetched ahead in a folder at once
};

class Prefetcher {
 public:
  Prefetcher(const BundleIndex& index, LeafLists& lists, BlockCache& cache, FetchQueue& queue, PageCacheFeed& feed,
             Metrics& metrics, uint64_t stride, const PrefetchOptions& options);
  ~Prefetcher();  // stop()
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  bool enabled() const { return options_.files_ahead > 0; }
  // Runs no more of its queued work and waits for what runs. Idempotent. Leaves already handed
  // to the BlockCache may still call back (the object must live until the cache has stopped).
  void stop() { tasks_.close_and_wait(); }
  // After a read of leaves [first, last] of `ino` got them (its own fetches ran alone).
  void on_read(Inode ino, const LeafList& leaves, const Readahead::Decision& d, size_t first, size_t last);
  // After a read got leaf `i` of `ino` (verified): hands it to the page cache when the file is read at random.
  void on_leaf_read(Inode ino, size_t i, const LeafData& data, bool random);

 private:
  struct FileState {
    bool whole = false;        // the rest of the file is queued
    std::vector<bool> pushed;  // leaves handed to the page cache
  };
  void ahead_in_directory(Inode ino);
  void random_read(Inode ino, const LeafList& leaves, size_t first, size_t last);
  void push(Inode ino, size_t i, const LeafData& data);
  // Whether leaf `i` of `ino` was handed to the page cache: a guess of it would most likely fetch
  // what the kernel already holds (when it has dropped it, the next read asks for it).
  bool in_page_cache(Inode ino, size_t i);
  bool fits_cache(uint64_t bytes) const;
  uint64_t leaf_bytes(Inode ino, size_t i) const;

  const BundleIndex& index_;
  LeafLists& lists_;
  BlockCache& cache_;
  FetchQueue& queue_;
  PageCacheFeed& feed_;
  Metrics& metrics_;
  uint64_t stride_;
  PrefetchOptions options_;
  TaskScope tasks_;

  std::mutex mutex_;
  uint64_t random_reads_ = 0;
  // Folder -> ranks [from, to) of its files already queued. A read inside that run extends it;
  // a read elsewhere (a jump, a walk in another order) starts a new run after itself.
  struct Scheduled {
    size_t from = 0;
    size_t to = 0;
  };
  std::unordered_map<Inode, Scheduled> scheduled_;
  std::unordered_map<Inode, FileState> files_;
  // Files some reader has read: their own reads decide what of them is fetched, not a walk
  // of their folder (a reader that took one header from a file and left must not have the
  // rest of it fetched by the next file's read).
  std::unordered_set<Inode> read_;
  static constexpr size_t kMaxTracked = 4096;
  static constexpr size_t kNeighbours = 2;  // leaves guessed on each side of a random read of a file that does not fit
};

// Priorities of the speculative lane (lower first): the class in the top bits, then distance.
namespace priority {
constexpr uint64_t kNear = 0;                  // readahead and a small file's other leaves
constexpr uint64_t kDirectory = 1ull << 60;    // + rank distance
constexpr uint64_t kRandom = 2ull << 60;       // + (newer reads first) + leaf distance
constexpr uint64_t kPreloadBase = 3ull << 60;  // + file order
}  // namespace priority

}  // namespace dm::fusefs
