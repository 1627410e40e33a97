#include "common/util/buffer_pool.h"

#include <algorithm>

namespace dm {

BufferPool::BufferPool(size_t buffer_size, size_t capacity)
    : buffer_size_(buffer_size), capacity_(std::max<size_t>(1, capacity)) {
  idle_.reserve(capacity_);  // give_back runs in a deleter: it must not allocate
}

std::shared_ptr<char[]> BufferPool::take() {
  std::unique_ptr<char[]> buffer;
  {
    std::unique_lock lock(mutex_);
    returned_.wait(lock, [&] { return !idle_.empty() || allocated_ < capacity_; });
    if (!idle_.empty()) {
      buffer = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++allocated_;
    }
  }
  if (!buffer) {
    try {
      buffer = std::make_unique_for_overwrite<char[]>(buffer_size_);
    } catch (...) {
      std::lock_guard lock(mutex_);
      --allocated_;
      returned_.notify_one();
      throw;
    }
  }
  return {buffer.release(), [this](char* p) { give_back(p); }};
}

size_t BufferPool::allocated() const {
  std::lock_guard lock(mutex_);
  return allocated_;
}

void BufferPool::give_back(char* buffer) {
  {
    std::lock_guard lock(mutex_);
    idle_.emplace_back(buffer);
  }
  returned_.notify_one();
}

}  // namespace dm
