// PageCacheFeed: hands verified leaves to the kernel's page cache for a file (FUSE
// notify_store), so that later reads anywhere in those leaves never reach the daemon.
//
// Used for files read at random: one 4 KiB read fetches and verifies a whole leaf, and the
// feed stores all of it in the page cache of the file's inode (memory the kernel manages and
// reclaims, not the mount's). Only leaves that passed their BLAKE2b check are offered. One
// thread of its own writes to the FUSE device (never a request thread: a read in flight holds
// the page locks a store would wait for); offers beyond a small queue are dropped. Offers before
// attach() or after detach() are dropped. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "fusefs/bundle_index.h"
#include "fusefs/leaf_buffer.h"
#include "fusefs/metrics.h"

struct fuse_session;

namespace dm::fusefs {

class PageCacheFeed {
 public:
  explicit PageCacheFeed(Metrics& metrics) : metrics_(metrics) {}
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
  static constexpr size_t kMaxQueued = 4;  // each holds a leaf: kept small for the memory budget
  void run();

  Metrics& metrics_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Item> queue_;
  fuse_session* session_ = nullptr;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dm::fusefs
