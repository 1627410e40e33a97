// Readahead: how many leaves to prefetch past a read, per file, from its access pattern.
//
// A read that starts where the previous one of the same file ended (give or take the
// reordering of a multi-threaded FUSE loop) is sequential and doubles the window, up to the
// bound. The first read of a file starts at the initial window when it starts at offset 0;
// any other read is random: no window (reading ahead of a random read fetches what nobody
// reads), and the caller may treat the file as randomly accessed. An initial window of 0 turns
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

  struct Decision {
    size_t window = 0;       // leaves to read ahead past the read
    bool first = false;      // the first read of the file seen (since its state was dropped)
    bool random = false;     // not where the previous read ended, or a first read not at 0
    bool confirmed = false;  // the second read, where the first ended: the file is read on from its start
  };
  // Records a read of [offset, end) of file `ino`.
  Decision on_read(uint64_t ino, uint64_t offset, uint64_t end);

 private:
  struct State {
    uint64_t next_offset = 0;
    size_t window = 0;
    size_t reads = 0;
  };
  static constexpr size_t kMaxTracked = 4096;

  size_t initial_;
  size_t max_;
  uint64_t stride_;
  std::mutex mutex_;
  std::unordered_map<uint64_t, State> files_;
};

}  // namespace dm::fusefs
