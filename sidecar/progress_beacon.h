// ProgressBeacon: a sidecar tells the wrapper that it is still moving data.
//
// While it lives, a thread looks every `period` at the file I/O of this process and of its
// descendants (rchar + wchar of /proc/<pid>/io: every upload reads files, every download and
// restore writes them, every database run does both) and, when the total grew since its last
// look, raises `signal` with the total as its reason. The wrapper's deadlines run from the
// latest change of that signal (wrapper.h), so a long transfer is not cut short while a sidecar
// that stopped moving still times out. A process whose counters cannot be read (gone, or not
// ours) is skipped. Errors raising the signal are logged, never thrown. Not copyable.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "sidecar/signal_files.h"

namespace dm::sidecar {

// rchar + wchar of `pid` and every process below it (descendants_of, process_tree.h).
uint64_t tree_io_bytes(pid_t pid);

class ProgressBeacon {
 public:
  ProgressBeacon(const CoordDir& coord, std::string signal, std::chrono::milliseconds period = std::chrono::seconds(5));
  ~ProgressBeacon();
  ProgressBeacon(const ProgressBeacon&) = delete;
  ProgressBeacon& operator=(const ProgressBeacon&) = delete;

 private:
  // `last`: the I/O of the others when the beacon was made.
  void loop(uint64_t last);

  const CoordDir& coord_;
  std::string signal_;
  std::chrono::milliseconds period_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dm::sidecar
