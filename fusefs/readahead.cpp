#include "fusefs/readahead.h"

#include <algorithm>

namespace dm::fusefs {

Readahead::Decision Readahead::on_read(uint64_t ino, uint64_t offset, uint64_t end) {
  std::lock_guard lock(mutex_);
  if (files_.size() >= kMaxTracked && !files_.count(ino)) files_.clear();
  auto [it, fresh] = files_.try_emplace(ino);
  State& s = it->second;
  // The kernel keeps several reads of one stream in flight and threads answer them out of
  // order, so "sequential" tolerates a gap of up to one leaf either way.
  const uint64_t slack = stride_;
  const bool sequential = fresh ? offset == 0 : offset + slack >= s.next_offset && offset <= s.next_offset + slack;
  Decision d;
  d.first = fresh;
  d.random = !sequential;
  if (s.reads < 3) ++s.reads;  // counts to "more than two"
  d.confirmed = sequential && s.reads == 2;
  if (!sequential) {
    s.window = 0;
  } else if (fresh || s.window == 0) {
    s.window = initial_;
  } else if (offset >= s.next_offset) {
    s.window = std::min(max_, std::max<size_t>(1, s.window * 2));
  }
  s.next_offset = sequential ? std::max(end, s.next_offset) : end;
  d.window = max_ == 0 ? 0 : s.window;
  return d;
}

}  // namespace dm::fusefs
