#include "fusefs/readahead.h"

#include <algorithm>

namespace dm::fusefs {

size_t Readahead::on_read(uint64_t ino, uint64_t offset, uint64_t end) {
  if (max_ == 0) return 0;
  std::lock_guard lock(mutex_);
  if (files_.size() >= kMaxTracked && !files_.count(ino)) files_.clear();
  auto [it, fresh] = files_.try_emplace(ino);
  State& s = it->second;
  // The kernel keeps several reads of one stream in flight and threads answer them out of
  // order, so "sequential" tolerates a gap of up to one leaf either way.
  const uint64_t slack = stride_;
  const bool sequential = !fresh && offset + slack >= s.next_offset && offset <= s.next_offset + slack;
  if (fresh || !sequential) {
    s.window = initial_;
  } else if (offset >= s.next_offset) {
    s.window = std::min(max_, std::max<size_t>(1, s.window * 2));
  }
  s.next_offset = sequential ? std::max(end, s.next_offset) : end;
  return s.window;
}

}  // namespace dm::fusefs
