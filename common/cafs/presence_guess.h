// PresenceGuess: whether the next blob a writer stores is likely in the store already, judged
// from what the store said of the blobs before it.
//
// An upload of new content meets absent blobs one after another, a re-upload of the same tree
// present ones: runs, not coin flips. The guess is a count kept between -kBound and kBound that
// a present blob moves up and an absent one down; a blob is guessed present while it is not
// below zero. It starts at kStart, above zero, so a writer checks first until a few absent
// blobs in a row say otherwise (a wrong guess of "absent" costs a write, of "present" a
// check), and a run of kBound present blobs always turns it back. Thread-safe: many leaves are
// stored at once; a report that races another may be lost, which only delays the turn.
#pragma once

#include <atomic>

namespace dm::cafs {

class PresenceGuess {
 public:
  static constexpr int kBound = 16;
  static constexpr int kStart = 4;

  bool likely_present() const { return count_.load(std::memory_order_relaxed) >= 0; }

  void saw(bool present) {
    const int now = count_.load(std::memory_order_relaxed);
    const int next = present ? (now < kBound ? now + 1 : now) : (now > -kBound ? now - 1 : now);
    if (next != now) count_.store(next, std::memory_order_relaxed);
  }

 private:
  std::atomic<int> count_{kStart};
};

}  // namespace dm::cafs
