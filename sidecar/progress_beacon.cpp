#include "sidecar/progress_beacon.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

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

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ec;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream in(task.path() / "children");
    for (pid_t child = 0; in >> child;) out.push_back(child);
  }
  return out;
}

}  // namespace

uint64_t tree_io_bytes(pid_t pid) {
  uint64_t total = 0;
  std::vector<pid_t> todo{pid};
  // A process tree has no cycles, but pids are re-used while we walk: bound the walk.
  for (size_t seen = 0; !todo.empty() && seen < 100000; ++seen) {
    const pid_t p = todo.back();
    todo.pop_back();
    total += io_bytes("/proc/" + std::to_string(p) + "/io");
    for (pid_t c : children_of(p)) todo.push_back(c);
  }
  return total;
}

namespace {

// The file I/O of this process and its descendants, without that of the calling thread: the
// beacon's own reads of /proc and writes of its signal are not progress.
uint64_t io_of_others() {
  const uint64_t own = io_bytes("/proc/thread-self/io");
  const uint64_t all = tree_io_bytes(::getpid());
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
    const uint64_t now = io_of_others();
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
