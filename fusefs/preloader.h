// Preloader: `bundle mount --preload [GLOB]`, the cache filled in the background with the
// files whose bundle path matches GLOB (fnmatch(3) without flags: '*' also crosses '/'; empty:
// every file), so that their later reads (by this mount, or by a later one sharing the disk
// cache) need no store request.
//
// start() returns at once: a thread of its own matches the paths and queues one task per file in
// the FetchQueue's speculative lane, after every other guess, so it never delays a reader. With
// a disk tier the leaves go to disk only (the RAM tier keeps the readers' leaves); without one,
// into RAM within the room for guesses. Progress is logged (every tenth of the files, and at the
// end) and counted in the metrics. A file that fails (missing or corrupt leaf) is logged and
// counted; the others go on. Thread-safe; the destructor stops the queued work.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "fusefs/block_cache.h"
#include "fusefs/bundle_index.h"
#include "fusefs/fetch_queue.h"
#include "fusefs/leaf_lists.h"
#include "fusefs/metrics.h"
#include "fusefs/prefetcher.h"

namespace dm::fusefs {

class Preloader {
 public:
  Preloader(const BundleIndex& index, LeafLists& lists, BlockCache& cache, FetchQueue& queue, Metrics& metrics,
            std::string pattern);
  ~Preloader();
  Preloader(const Preloader&) = delete;
  Preloader& operator=(const Preloader&) = delete;

  void start();

 private:
  void match_and_queue();
  void preload(Inode ino);
  void file_done(bool failed, uint64_t bytes);

  const BundleIndex& index_;
  LeafLists& lists_;
  BlockCache& cache_;
  FetchQueue& queue_;
  Metrics& metrics_;
  std::string pattern_;
  TaskScope tasks_;
  std::thread matcher_;
  std::atomic<uint64_t> matched_{0}, matched_bytes_{0}, done_{0}, failed_{0}, done_bytes_{0};
  std::atomic<bool> all_queued_{false};
};

}  // namespace dm::fusefs
