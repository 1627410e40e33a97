// LeafPool: recycled leaf buffers, so that a cold read does not map and fault in fresh memory
// for every leaf it fetches.
//
// share() hands a filled buffer out as LeafData; when the last reader (a cache slot, a FUSE
// reply in flight) lets go of it, the buffer goes back to the pool, up to `max_idle` buffers
// (the rest, and the small ones, are unmapped). Leaves may outlive the pool. Thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "fusefs/leaf_buffer.h"

namespace dm::fusefs {

class LeafPool : public std::enable_shared_from_this<LeafPool> {
 public:
  static std::shared_ptr<LeafPool> create(size_t buffer_capacity, size_t max_idle) {
    return std::shared_ptr<LeafPool>(new LeafPool(buffer_capacity, max_idle));
  }

  // An empty buffer for `length` bytes: a recycled whole-leaf buffer when `length` needs one,
  // else a buffer of its own of about that size (small leaves must not hold 2 MiB each).
  std::unique_ptr<LeafBuffer> take(size_t length);
  LeafData share(std::unique_ptr<LeafBuffer> data);

  size_t buffer_capacity() const { return capacity_; }
  size_t idle() const;

 private:
  LeafPool(size_t buffer_capacity, size_t max_idle) : capacity_(buffer_capacity), max_idle_(max_idle) {}
  void give_back(LeafBuffer* data);

  size_t capacity_;
  size_t max_idle_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<LeafBuffer>> idle_;
};

}  // namespace dm::fusefs
