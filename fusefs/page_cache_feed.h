// PageCacheFeed: hands verified leaves to the kernel's page cache for a file (FUSE
// notify_store), so that later reads anywhere in those leaves never reach the daemon.
//
// Used for files read at random: one 4 KiB read fetches and verifies a whole leaf, and the
// feed stores all of it in the page cache of the file's inode (memory the kernel manages and
// reclaims, not the mount's). Only leaves that passed their BLAKE2b check are offered. One
// thread of its own writes to the FUSE device (never a request thread: a read in flight holds
// the page locks a store would wait for). Offers beyond a queue of kMaxQueued leaves are dropped
// and counted (datamon_page_cache_dropped_total): a store waits for the page locks of reads in
// flight, so stores back up while readers wait, and in the 4-reader random pass of the 1 GiB
// bench file a queue of 4 dropped 22-55 verified leaves a pass, of which a later read fetched
// some again; a queue of 16 dropped none. A queued leaf shares its buffer with the RAM tier, so
// the queue costs memory only for leaves the tier has let go meanwhile: at most kMaxQueued
// leaves, part of the mount's fixed overhead. Offers before attach() or after detach() are
// dropped. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "fusefs/bundle_index.h"
#include "fusefs/leaf_buffer.h"
#include "fusefs/metrics.h"

struct fuse_session;

namespace dm::fusefs {

class PageCacheFeed {
 public:
  // Hands `size` bytes at `data` to the page cache of `ino` from `offset`; 0 or -errno.
  using StoreStep = std::function<int(fuse_session*, Inode ino, uint64_t offset, const char* data, size_t size)>;
  static constexpr size_t kMaxQueued = 16;

  // `store` replaces fuse_lowlevel_notify_store (tests: a step that blocks on demand).
  explicit PageCacheFeed(Metrics& metrics, StoreStep store = {}, size_t max_queued = kMaxQueued);
  ~PageCacheFeed();
  PageCacheFeed(const PageCacheFeed&) = delete;
  PageCacheFeed& operator=(const PageCacheFeed&) = delete;

  // Starts feeding the mount of `session` (which must outlive detach()).
  void attach(fuse_session* session);
  // Stops and drops what is queued; waits for a store in progress.
  void detach();
  // Queues `data` as the bytes of file `ino` from `offset`; false when it was dropped.
  bool offer(Inode ino, uint64_t offset, LeafData data);

 private:
  struct Item {
    Inode ino;
    uint64_t offset;
    LeafData data;
  };
  void run();

  Metrics& metrics_;
  StoreStep store_;
  size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Item> queue_;
  fuse_session* session_ = nullptr;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dm::fusefs
