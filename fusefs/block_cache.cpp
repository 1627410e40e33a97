#include "fusefs/block_cache.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>

#include "common/util/error.h"

namespace dm::fusefs {

BlockCache::BlockCache(cafs::Reader& reader, ThreadPool& pool, Metrics& metrics, const BlockCacheOptions& options)
    : source_(reader),
      metrics_(metrics),
      options_(options),
      // Enough idle buffers for every fetch the pool runs at once, plus the reads waiting on them.
      buffers_(LeafPool::create(reader.leaf_size(), 2 * size_t{pool.size()} + 4)),
      background_(std::make_shared<TaskGroup>(pool)) {
  if (!options_.disk_dir.empty()) {
    disk_ = std::make_unique<DiskCache>(options_.disk_dir, options_.disk_bytes);
    metrics_.set_disk_cache_bytes(disk_->bytes());
  }
}

BlockCache::~BlockCache() {
  try {
    background_->wait();
  } catch (...) {
    // Prefetch failures were already logged and handed to any waiting reader.
  }
}

uint64_t BlockCache::ram_bytes() const {
  std::lock_guard lock(mutex_);
  return ram_used_;
}

void BlockCache::insert_ram(const cafs::Key& key, const LeafData& data) {
  if (data->size() > options_.ram_bytes) return;
  std::lock_guard lock(mutex_);
  if (ram_.count(key)) return;
  lru_.push_front(key);
  ram_.emplace(key, Slot{data, lru_.begin()});
  ram_used_ += data->size();
  while (ram_used_ > options_.ram_bytes && !lru_.empty()) {
    auto victim = ram_.find(lru_.back());
    ram_used_ -= victim->second.data->size();
    ram_.erase(victim);
    lru_.pop_back();
    metrics_.eviction(false);
  }
  metrics_.set_ram_cache_bytes(ram_used_);
}

LeafData BlockCache::fetch(const LeafList& leaves, size_t index) {
  const auto& key = (*leaves)[index];
  if (disk_) {
    if (auto data = disk_->get(key)) {
      // The disk tier is a folder anyone with access could rewrite (a valid CRC proves nothing):
      // served only when it hashes to its key (decision 4), else dropped and fetched again.
      if (data->size() <= buffers_->buffer_capacity() && source_.verifies(*data, *leaves, index)) {
        metrics_.leaf_served(CacheTier::Disk);
        auto leaf = buffers_->take(data->size());
        std::memcpy(leaf->data(), data->data(), data->size());
        leaf->set_size(data->size());
        return buffers_->share(std::move(leaf));
      }
      spdlog::warn("disk cache file {} does not verify; dropped", dm::quoted(disk_->file_of(key).string()));
      metrics_.verification_failure();
      disk_->discard(key);
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
  auto leaf = buffers_->share(std::move(data));
  if (disk_) {
    try {
      const size_t evicted = disk_->put(key, leaf->view());
      for (size_t i = 0; i < evicted; ++i) metrics_.eviction(true);
      metrics_.set_disk_cache_bytes(disk_->bytes());
    } catch (const Error& e) {
      spdlog::warn("disk cache write failed: {}", e.what());  // the leaf is still good in RAM
    }
  }
  return leaf;
}

void BlockCache::load(const LeafList& leaves, size_t index, std::promise<LeafData>& promise) {
  const auto& key = (*leaves)[index];
  try {
    auto leaf = fetch(leaves, index);
    insert_ram(key, leaf);
    {
      std::lock_guard lock(mutex_);
      pending_.erase(key);
    }
    promise.set_value(std::move(leaf));
  } catch (...) {
    {
      std::lock_guard lock(mutex_);
      pending_.erase(key);
    }
    promise.set_exception(std::current_exception());
  }
}

LeafData BlockCache::get(const LeafList& leaves, size_t index) {
  const auto& key = (*leaves)[index];
  std::promise<LeafData> promise;
  const Pending result = promise.get_future().share();
  {
    std::unique_lock lock(mutex_);
    if (auto it = ram_.find(key); it != ram_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.position);
      metrics_.leaf_served(CacheTier::Ram);
      return it->second.data;
    }
    if (auto it = pending_.find(key); it != pending_.end()) {
      auto waiting = it->second;
      lock.unlock();
      metrics_.leaf_served(CacheTier::Shared);
      return waiting.get();
    }
    pending_.emplace(key, result);
  }
  load(leaves, index, promise);
  return result.get();
}

void BlockCache::prefetch(const LeafList& leaves, size_t index) {
  const auto& key = (*leaves)[index];
  auto promise = std::make_shared<std::promise<LeafData>>();
  {
    std::lock_guard lock(mutex_);
    if (ram_.count(key) || pending_.count(key)) return;
    pending_.emplace(key, promise->get_future().share());
  }
  background_->run([this, leaves, index, promise] { load(leaves, index, *promise); });
}

}  // namespace dm::fusefs
