// AlignedBuffer: a growable byte buffer that starts on a kDirectWriteAlign boundary, so that a
// file written from it can bypass the page cache (write_bulk_at). Its contents are unspecified
// after it grows (callers overwrite them). Not thread-safe; movable, not copyable.
#pragma once

#include <cstddef>
#include <new>
#include <span>
#include <utility>

#include "common/util/files.h"

namespace dm {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  ~AlignedBuffer() { release(); }
  AlignedBuffer(AlignedBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), capacity_(std::exchange(o.capacity_, 0)) {}
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    if (this != &o) {
      release();
      data_ = std::exchange(o.data_, nullptr);
      capacity_ = std::exchange(o.capacity_, 0);
    }
    return *this;
  }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;

  // The first `size` bytes, grown to hold them when needed.
  std::span<char> first(size_t size) {
    if (size > capacity_) {
      release();
      data_ = static_cast<char*>(::operator new[](size, kAlign));
      capacity_ = size;
    }
    return {data_, size};
  }

 private:
  static constexpr std::align_val_t kAlign{kDirectWriteAlign};
  void release() {
    if (data_ != nullptr) ::operator delete[](data_, kAlign);
    data_ = nullptr;
    capacity_ = 0;
  }

  char* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace dm
