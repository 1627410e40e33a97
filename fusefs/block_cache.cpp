#include "fusefs/block_cache.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>

#include "common/util/error.h"

namespace dm::fusefs {

BlockCache::BlockCache(cafs::Reader& reader, FetchQueue& queue, Metrics& metrics, const BlockCacheOptions& options)
    : source_(reader),
      queue_(queue),
      metrics_(metrics),
      options_(options),
      // Enough idle buffers for every fetch the queue runs at once, plus the reads waiting on them.
      buffers_(LeafPool::create(reader.leaf_size(), 2 * size_t{queue.max_speculative()} + 4)),
      ram_(options.ram_bytes, [this](const cafs::Key&, Slot& slot, uint64_t size) {
        if (slot.unread) {
          unread_ -= size;
          metrics_.prefetch_wasted();  // evicted before any reader asked for it
        }
        metrics_.eviction(false);
      }) {
  if (!options_.disk_dir.empty()) {
    disk_ = std::make_unique<DiskCache>(options_.disk_dir, options_.disk_bytes);
    metrics_.set_disk_cache_bytes(disk_->bytes());
  }
}

BlockCache::~BlockCache() {
  stop();
}

void BlockCache::wait_idle() {
  std::unique_lock lock(mutex_);
  tasks_done_.wait(lock, [this] { return tasks_ == 0; });
}

void BlockCache::stop() {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  tasks_done_.wait(lock, [this] { return tasks_ == 0; });
}

uint64_t BlockCache::ram_bytes() const {
  std::lock_guard lock(mutex_);
  return ram_.charge();
}

uint64_t BlockCache::unread_bytes() const {
  std::lock_guard lock(mutex_);
  return unread_;
}

bool BlockCache::holds(const cafs::Key& key) const {
  {
    std::lock_guard lock(mutex_);
    if (ram_.contains(key)) return true;
  }
  return disk_ && disk_->contains(key);
}

void BlockCache::insert_ram(const cafs::Key& key, const LeafData& data, bool unread) {
  const uint64_t size = data->size();
  if (size > options_.ram_bytes) return;
  std::lock_guard lock(mutex_);
  if (ram_.contains(key)) return;
  if (unread && unread_ + size > options_.ram_bytes / 2) {
    metrics_.prefetch_wasted();  // no room for more guesses: dropped unread
    return;
  }
  // A guess never pushes out a leaf a reader holds right now (its slot is not the only owner).
  const auto not_held = [unread](const Slot& slot) { return !unread || slot.data.use_count() == 1; };
  const bool kept = ram_.insert(key, Slot{data, unread}, size, not_held) != nullptr;
  if (kept && unread) unread_ += size;
  if (!kept && unread) metrics_.prefetch_wasted();
  // Not kept: every other leaf is in use; this one is still served, just not kept.
  metrics_.set_ram_cache_bytes(ram_.charge());
}

LeafData BlockCache::fetch(const LeafList& leaves, size_t index, bool& from_store) {
  from_store = false;
  if (disk_) {
    if (auto leaf = from_disk(leaves, index)) {
      metrics_.leaf_served(CacheTier::Disk);
      return leaf;
    }
  }
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<LeafBuffer> data;
  try {
    data = source_.fetch(*leaves, index, *buffers_);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Corrupt) metrics_.verification_failure();
    throw;
  }
  metrics_.leaf_fetched(data->size(), std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  metrics_.leaf_served(CacheTier::Store);
  from_store = true;
  return buffers_->share(std::move(data));
}

LeafData BlockCache::from_disk(const LeafList& leaves, size_t index) {
  const auto& key = (*leaves)[index];
  std::unique_ptr<LeafBuffer> leaf;
  const auto size = disk_->read_into(key, buffers_->buffer_capacity(), [&](size_t length) {
    leaf = buffers_->take(length);
    return std::span<char>(leaf->data(), length);
  });
  if (!size) return nullptr;
  leaf->set_size(*size);
  // The disk tier is a folder anyone with access could rewrite (a valid CRC proves nothing):
  // served only when it hashes to its key (decision 4), else dropped and fetched again.
  if (source_.verifies(leaf->view(), *leaves, index)) return buffers_->share(std::move(leaf));
  spdlog::warn("disk cache file {} does not verify; dropped", dm::quoted(disk_->file_of(key).string()));
  metrics_.verification_failure();
  disk_->discard(key);
  return nullptr;
}

void BlockCache::write_to_disk(const cafs::Key& key, const LeafData& leaf) {
  try {
    const size_t evicted = disk_->put(key, leaf->view());
    for (size_t i = 0; i < evicted; ++i) metrics_.eviction(true);
    metrics_.set_disk_cache_bytes(disk_->bytes());
  } catch (const Error& e) {
    spdlog::warn("disk cache write failed: {}", e.what());  // the leaf is still good in RAM
  }
}

void BlockCache::load(const LeafList& leaves, size_t index, const std::shared_ptr<Pending>& pending) {
  const auto& key = (*leaves)[index];
  try {
    bool from_store = false;
    auto leaf = fetch(leaves, index, from_store);
    std::vector<OnReady> callbacks;
    bool unread = false;
    bool keep_ram = true;
    {
      std::lock_guard lock(mutex_);
      unread = pending->speculative && !pending->wanted;
      keep_ram = !(unread && pending->keep == Keep::DiskOnly && disk_);
      callbacks.swap(pending->on_ready);
    }
    if (pending->speculative) metrics_.prefetch_bytes(leaf->size());
    if (keep_ram) insert_ram(key, leaf, unread);
    {
      std::lock_guard lock(mutex_);
      pending_.erase(key);
      // Guesses that joined while the leaf was being cached.
      for (auto& ready : pending->on_ready) callbacks.push_back(std::move(ready));
      pending->on_ready.clear();
    }
    pending->promise.set_value(leaf);
    for (auto& ready : callbacks) {
      try {
        ready(leaf);
      } catch (const std::exception& e) {
        spdlog::debug("after-fetch step of leaf {} failed: {}", key.hex(), e.what());
      }
    }
    if (from_store && disk_) {
      // A reader waiting on this thread (get) answers first; the write runs on a worker.
      std::lock_guard lock(mutex_);
      if (!stopping_) {
        ++tasks_;
        queue_.submit(Lane::Local, 0, [this, key, leaf](bool run) {
          if (run) write_to_disk(key, leaf);
          std::lock_guard lock(mutex_);
          if (--tasks_ == 0) tasks_done_.notify_all();
        });
      }
    }
  } catch (...) {
    {
      std::lock_guard lock(mutex_);
      pending_.erase(key);
    }
    pending->promise.set_exception(std::current_exception());
  }
}

void BlockCache::cancel(const cafs::Key& key, const std::shared_ptr<Pending>& pending) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = pending_.find(key); it != pending_.end() && it->second == pending) pending_.erase(it);
  }
  pending->promise.set_exception(
      std::make_exception_ptr(Error(ErrorKind::Unavailable, "the mount is stopping (leaf " + key.hex() + ")")));
}

void BlockCache::queue_task(Lane lane, uint64_t priority, const LeafList& leaves, size_t index,
                            const std::shared_ptr<Pending>& pending, uint64_t bytes) {
  ++tasks_;  // under mutex_ (callers hold it)
  // The task holds the fetch weakly: until it is claimed, pending_ owns it; once it is done, a
  // copy of this task still queued (a guess queued again sooner) must not keep the fetched leaf
  // alive through the fetch's result. Readahead re-queues each leaf as its window moves, and
  // those copies held one leaf each: a 1 GiB sequential read peaked at 1 GiB of RSS.
  queue_.submit(
      lane, priority,
      [this, leaves, index, weak = std::weak_ptr<Pending>(pending)](bool run) {
        bool stop = !run;
        {
          std::lock_guard lock(mutex_);
          stop = stop || stopping_;
        }
        if (const auto pending = weak.lock(); pending && !pending->claimed.exchange(true)) {
          if (stop) {
            cancel((*leaves)[index], pending);
          } else {
            load(leaves, index, pending);
          }
        }
        std::lock_guard lock(mutex_);
        if (--tasks_ == 0) tasks_done_.notify_all();
      },
      lane == Lane::Speculative ? (bytes == 0 ? buffers_->buffer_capacity() : bytes) : 0);
}

LeafData BlockCache::get(const LeafList& leaves, size_t index, uint64_t bytes) {
  const auto& key = (*leaves)[index];
  std::shared_ptr<Pending> pending;
  bool guessed = false;  // a guess's fetch, running or queued
  {
    std::unique_lock lock(mutex_);
    if (auto* slot = ram_.find(key)) {
      if (slot->unread) {
        slot->unread = false;
        unread_ -= slot->data->size();
        metrics_.prefetch_used();
      }
      metrics_.leaf_served(CacheTier::Ram);
      return slot->data;
    }
    if (auto it = pending_.find(key); it != pending_.end()) {
      pending = it->second;
      guessed = pending->speculative;
      if (pending->speculative && !pending->wanted) metrics_.prefetch_used();
      pending->wanted = true;
    } else {
      pending = std::make_shared<Pending>();
      pending->wanted = true;
      pending_.emplace(key, pending);
    }
  }
  // A fetch nobody has started yet (queued behind guesses, or not queued at all) is run here.
  const bool ours = !pending->claimed.exchange(true);
  // A reader who joins a guess in flight is not counted: a sequential reader catching up with
  // its readahead must not stop the readahead.
  const bool large = bytes == 0 || 2 * bytes >= buffers_->buffer_capacity();
  std::optional<FetchQueue::ReaderWait> waiting;
  if (large && (ours || !guessed)) waiting.emplace(queue_);
  if (ours) {
    load(leaves, index, pending);
  } else {
    metrics_.leaf_served(CacheTier::Shared);
  }
  return pending->future.get();
}

void BlockCache::warm(const LeafList& leaves, size_t index, PrefetchKind kind, Keep keep) {
  const auto& key = (*leaves)[index];
  std::shared_ptr<Pending> pending;
  {
    std::lock_guard lock(mutex_);
    if (ram_.contains(key)) return;
    if (stopping_) throw Error(ErrorKind::Unavailable, "the mount is stopping (leaf " + key.hex() + ")");
    if (auto it = pending_.find(key); it != pending_.end()) {
      pending = it->second;
    } else {
      if (disk_ && disk_->contains(key)) return;
      pending = std::make_shared<Pending>();
      pending->speculative = true;
      pending->keep = keep;
      pending_.emplace(key, pending);
      metrics_.prefetch_issued(kind);
    }
  }
  if (!pending->claimed.exchange(true)) load(leaves, index, pending);
  pending->future.get();
}

void BlockCache::fetch_ahead(const LeafList& leaves, size_t index) {
  const auto& key = (*leaves)[index];
  std::lock_guard lock(mutex_);
  if (stopping_ || ram_.contains(key)) return;
  if (auto it = pending_.find(key); it != pending_.end()) {
    auto& pending = it->second;
    if (pending->speculative && !pending->wanted) metrics_.prefetch_used();
    pending->wanted = true;
    if (!pending->claimed.load()) queue_task(Lane::Demand, 0, leaves, index, pending);
    return;
  }
  auto pending = std::make_shared<Pending>();
  pending->wanted = true;
  pending_.emplace(key, pending);
  queue_task(Lane::Demand, 0, leaves, index, pending);
}

void BlockCache::prefetch(const LeafList& leaves, size_t index, uint64_t priority, PrefetchKind kind, OnReady on_ready,
                          Keep keep, uint64_t bytes) {
  const auto& key = (*leaves)[index];
  LeafData cached;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    if (const auto* slot = ram_.peek(key)) {
      cached = slot->data;
    } else if (auto p = pending_.find(key); p != pending_.end()) {
      auto& pending = p->second;
      if (on_ready) pending->on_ready.push_back(std::move(on_ready));
      // Sooner than it was queued: queue it again; whichever task starts first runs it.
      if (pending->speculative && !pending->claimed.load() && priority < pending->priority) {
        pending->priority = priority;
        queue_task(Lane::Speculative, priority, leaves, index, pending, bytes);
      }
      return;
    } else if (keep == Keep::DiskOnly && disk_ && disk_->contains(key)) {
      return;
    } else {
      auto pending = std::make_shared<Pending>();
      pending->speculative = true;
      pending->keep = keep;
      pending->priority = priority;
      if (on_ready) pending->on_ready.push_back(std::move(on_ready));
      pending_.emplace(key, pending);
      metrics_.prefetch_issued(kind);
      queue_task(Lane::Speculative, priority, leaves, index, pending, bytes);
      return;
    }
  }
  if (on_ready) on_ready(cached);
}

}  // namespace dm::fusefs
