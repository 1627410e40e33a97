#include "common/util/buffer_pool.h"

#include <algorithm>
#include <new>

#include "common/util/files.h"

namespace dm {

namespace {

constexpr std::align_val_t kAlign{kDirectWriteAlign};

}  // namespace

BufferPool::BufferPool(size_t buffer_size, size_t capacity)
    : buffer_size_(buffer_size), capacity_(std::max<size_t>(1, capacity)) {
  idle_.reserve(capacity_);  // give_back runs in a deleter: it must not allocate
}

BufferPool::~BufferPool() {
  for (char* buffer : idle_) ::operator delete[](buffer, kAlign);
}

std::shared_ptr<char[]> BufferPool::take() {
  char* buffer = nullptr;
  {
    std::unique_lock lock(mutex_);
    returned_.wait(lock, [&] { return !idle_.empty() || allocated_ < capacity_; });
    if (!idle_.empty()) {
      buffer = idle_.back();
      idle_.pop_back();
    } else {
      ++allocated_;
    }
  }
  if (buffer == nullptr) {
    try {
      buffer = static_cast<char*>(::operator new[](std::max<size_t>(1, buffer_size_), kAlign));
    } catch (...) {
      std::lock_guard lock(mutex_);
      --allocated_;
      returned_.notify_one();
      throw;
    }
  }
  // Should the shared count fail to allocate, shared_ptr hands the buffer to the deleter itself.
  return {buffer, [this](char* p) { give_back(p); }};
}

size_t BufferPool::allocated() const {
  std::lock_guard lock(mutex_);
  return allocated_;
}

void BufferPool::give_back(char* buffer) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(buffer);
  }
  returned_.notify_one();
}

}  // namespace dm
