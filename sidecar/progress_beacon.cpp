#include "sidecar/progress_beacon.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <fstream>
#include <vector>

#include "sidecar/process_tree.h"

namespace dm::sidecar {

namespace {

uint64_t io_bytes(const std::string& file) {
  std::ifstream in(file);
  uint64_t total = 0;
  std::string key;
  uint64_t value = 0;
  while (in >> key >> value) {
    if (key == "rchar:" || key == "wchar:") total += value;
  }
  return total;
}

uint64_t io_bytes(pid_t pid) {
  return io_bytes("/proc/" + std::to_string(pid) + "/io");
}

// `pid`'s counters then those of `below`, read back to back.
uint64_t sum_io(pid_t pid, const std::vector<pid_t>& below) {
  uint64_t total = io_bytes(pid);
  for (pid_t p : below) total += io_bytes(p);
  return total;
}

}  // namespace

uint64_t tree_io_bytes(pid_t pid) {
  const auto below = descendants_of(pid);
  return sum_io(pid, below);
}

namespace {

// The file I/O of this process and its descendants, without that of the calling thread: the
// beacon's own reads of /proc and writes of its signal are not progress. The walk of /proc comes
// first, so that all of its reads are in both counters and cancel out.
uint64_t io_of_others() {
  const auto below = descendants_of(::getpid());
  const uint64_t own = io_bytes("/proc/thread-self/io");
  const uint64_t all = sum_io(::getpid(), below);
  return all > own ? all - own : 0;
}

}  // namespace

ProgressBeacon::ProgressBeacon(const CoordDir& coord, std::string signal, std::chrono::milliseconds period)
    : coord_(coord), signal_(std::move(signal)), period_(period) {
  try {
    coord_.clear(signal_);  // an earlier run's
  } catch (const std::exception& e) {
    spdlog::warn("cannot clear {}: {}", signal_, e.what());
  }
  // The thread takes no signal: a SIGTERM must reach the thread that handles it (EventWaiter),
  // never end the process through ours. A new thread inherits the mask it was created with.
  // The baseline is taken here, not by the thread: I/O that follows the constructor is progress
  // even when the thread gets its first turn after it (a loaded machine). The whole tree's: the
  // thread that will subtract its own has done none yet.
  const uint64_t baseline = tree_io_bytes(::getpid());
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  thread_ = std::thread([this, baseline] { loop(baseline); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

ProgressBeacon::~ProgressBeacon() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ProgressBeacon::loop(uint64_t last) {
  // Reading /proc between the two counters shifts them by a few hundred bytes: growth below
  // this is noise, not a transfer.
  constexpr uint64_t kMinGrowth = uint64_t{64} * 1024;
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, period_, [this] { return stopping_; })) {
    uint64_t now = 0;
    try {
      now = io_of_others();
    } catch (const std::exception& e) {  // /proc could not be listed: no reading this period
      spdlog::warn("cannot read the I/O counters for {}: {}", signal_, e.what());
      continue;
    }
    if (now < last) last = now;  // a child that ended took its counters with it
    if (now < last + kMinGrowth) continue;
    last = now;
    try {
      coord_.raise(signal_, "io " + std::to_string(now));
    } catch (const std::exception& e) {
      spdlog::warn("cannot raise {}: {}", signal_, e.what());
    }
  }
}

}  // namespace dm::sidecar
