// LeafBuffer: the bytes of one leaf, in memory of its own mapped for leaves.
//
// The memory is an anonymous mapping; one of 2 MiB or more is marked for transparent huge
// pages, so filling a fresh leaf buffer costs one page fault per 2 MiB instead of 512, and
// nothing zero-fills it first (std::string::resize did: a fifth of a cold read's CPU).
// Not thread-safe to fill; immutable (and safe to share) once handed out as LeafData.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

namespace dm::fusefs {

class LeafBuffer {
 public:
  // Throws dm::Error (Internal) when the memory cannot be mapped.
  explicit LeafBuffer(size_t capacity);
  ~LeafBuffer();
  LeafBuffer(const LeafBuffer&) = delete;
  LeafBuffer& operator=(const LeafBuffer&) = delete;

  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  // Sets the length of the content (at most the capacity); the bytes are whatever is there.
  void set_size(size_t size);
  std::string_view view() const { return {data_, size_}; }

  friend bool operator==(const LeafBuffer& a, std::string_view b) { return a.view() == b; }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
  size_t mapped_ = 0;
};

using LeafData = std::shared_ptr<const LeafBuffer>;

}  // namespace dm::fusefs
