// Readahead: how many leaves to prefetch past a read, per file, from its access pattern.
//
// A read that starts where the previous one of the same file ended (give or take the
// reordering of a multi-threaded FUSE loop) is sequential and doubles the window, up to the
// bound; any other read resets it to the initial window. An initial window of 0 turns
// readahead off. Per-file state is bounded (it is dropped wholesale past a few thousand files).
// Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace dm::fusefs {

class Readahead {
 public:
  Readahead(size_t initial_leaves, size_t max_leaves, uint64_t stride)
      : initial_(initial_leaves),
        max_(initial_leaves == 0 ? 0 : std::max(initial_leaves, max_leaves)),
        stride_(stride) {}

  // Records a read of [offset, end) of file `ino`; returns the window in leaves.
  size_t on_read(uint64_t ino, uint64_t offset, uint64_t end);

 private:
  struct State {
    uint64_t next_offset = 0;
    size_t window = 0;
  };
  static constexpr size_t kMaxTracked = 4096;

  size_t initial_;
  size_t max_;
  uint64_t stride_;
  std::mutex mutex_;
  std::unordered_map<uint64_t, State> files_;
};

}  // namespace dm::fusefs
