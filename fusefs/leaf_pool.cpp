#include "fusefs/leaf_pool.h"

namespace dm::fusefs {

std::unique_ptr<LeafBuffer> LeafPool::take(size_t length) {
  if (length <= capacity_ / 2) return std::make_unique<LeafBuffer>(length);
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto data = std::move(idle_.back());
      idle_.pop_back();
      data->set_size(0);
      return data;
    }
  }
  return std::make_unique<LeafBuffer>(capacity_);
}

size_t LeafPool::idle() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

void LeafPool::give_back(LeafBuffer* data) {
  std::unique_ptr<LeafBuffer> owned(data);
  if (owned->capacity() != capacity_) return;
  std::lock_guard lock(mutex_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(owned));
}  // a buffer the pool has no room for is unmapped here

LeafData LeafPool::share(std::unique_ptr<LeafBuffer> data) {
  std::weak_ptr<LeafPool> pool = weak_from_this();
  return LeafData(data.release(), [pool](const LeafBuffer* leaf) {
    auto* owned = const_cast<LeafBuffer*>(leaf);
    if (auto alive = pool.lock()) {
      alive->give_back(owned);
    } else {
      delete owned;
    }
  });
}

}  // namespace dm::fusefs
