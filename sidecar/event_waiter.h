// One place where a sidecar or the wrapper sleeps: until a file changes in a watched folder
// (inotify), a termination signal arrives (SIGTERM, SIGINT, SIGHUP, read through a signalfd), a given
// descriptor becomes readable (a child's pidfd), or a time limit passes.
//
// Callers re-check their conditions after every wake-up, so a missed or spurious wake-up only
// costs one fallback period: when inotify is unavailable (or a folder cannot be watched) the
// waiter wakes every `fallback_poll` instead. Construct it on the main thread before starting
// any thread: it blocks SIGTERM, SIGINT and SIGHUP for the process (threads started later
// inherit the mask) and restores the mask when destroyed. A SIGHUP (the terminal or the
// container runtime going away) is a termination like the others: it ends the run through the
// caller's failure path, which tells the other containers, instead of killing the process
// silently. Not thread-safe; one per process.
#pragma once

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <vector>

#include "common/util/unique_fd.h"

namespace dm::sidecar {

class EventWaiter {
 public:
  EventWaiter(const std::vector<std::filesystem::path>& watch_dirs, std::chrono::milliseconds fallback_poll);
  ~EventWaiter();
  EventWaiter(const EventWaiter&) = delete;
  EventWaiter& operator=(const EventWaiter&) = delete;

  // Waits at most `max_wait` (less when polling). Returns the termination signal received, if
  // any; other wake-ups return nothing.
  std::optional<int> wait(std::chrono::milliseconds max_wait, const std::vector<int>& extra_fds = {});

  // The first termination signal received so far by any wait().
  std::optional<int> terminated_by() const { return terminated_by_; }
  bool inotify_active() const { return inotify_fd_.valid(); }

 private:
  UniqueFd inotify_fd_;
  UniqueFd signal_fd_;
  sigset_t old_mask_{};
  std::chrono::milliseconds fallback_poll_;
  std::optional<int> terminated_by_;
};

}  // namespace dm::sidecar
