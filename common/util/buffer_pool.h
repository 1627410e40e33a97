// BufferPool: at most `capacity` fixed-size byte buffers, handed out again after use.
//
// A fresh multi-MiB allocation per leaf costs the kernel a page fault and a zeroed page per
// 4 KiB, and the caller a memset: a third of an upload's CPU time when profiled (perf, 4 x 100
// MiB into a local store). A buffer taken from the pool comes back to it when the last copy of
// its pointer goes, with its old contents (callers overwrite it). Buffers are allocated on first
// need and kept; when all `capacity` are out, take() waits for one to come back, which also
// bounds the memory of a pipeline whose producers read faster than its consumers hash and store.
// A consumer must never take() while holding a buffer it waits to release. Buffers start on a
// kDirectWriteAlign boundary, so that a file written from one can bypass the page cache
// (write_bulk_at). Thread-safe. The pool must outlive every buffer it handed out.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace dm {

class BufferPool {
 public:
  BufferPool(size_t buffer_size, size_t capacity);
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A buffer of buffer_size() bytes, contents unspecified; waits while `capacity` are out.
  std::shared_ptr<char[]> take();
  size_t buffer_size() const { return buffer_size_; }
  // Buffers allocated so far (never more than the capacity).
  size_t allocated() const;
  ~BufferPool();

 private:
  void give_back(char* buffer);

  const size_t buffer_size_;
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  size_t allocated_ = 0;
  std::vector<char*> idle_;  // allocated aligned, freed by the destructor
};

}  // namespace dm
