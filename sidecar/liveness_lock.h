// Liveness across containers: a process holds an flock(2) on a file in the coordination folder
// for as long as it lives; others probe it. The kernel drops the lock when the holder dies,
// even by SIGKILL, so a killed sidecar or wrapper is noticed at once, without heartbeats.
//
// The lock file also tells runs apart when a coordination folder is reused: its holder empties
// it when it takes the lock, clears the signals an earlier run of itself left, then stamps it
// (mark_started). A probe reports whether the holder has stamped, and when (the file's mtime,
// on the same clock as the signal files' mtimes). The lock file is opened O_CLOEXEC, so
// children exec'd by the holder do not keep it alive, and through CoordFile: a symlink, a FIFO
// or a hard link planted at its name is refused, never followed, truncated or waited on.
// Errors are dm::Error naming the lock file. Not copyable; movable.
#pragma once

#include <time.h>

#include <filesystem>
#include <string>

#include "common/util/unique_fd.h"

namespace dm::sidecar {

class LivenessLock {
 public:
  // Takes the lock (emptying the file), retrying briefly (a prober may hold it for an instant).
  // AlreadyExists when another live process holds it: two sidecars with the same name in one pod.
  // InvalidArgument when something other than a regular file is at its name.
  explicit LivenessLock(const std::filesystem::path& file);
  LivenessLock(LivenessLock&& other) noexcept = default;
  LivenessLock& operator=(LivenessLock&&) = delete;
  LivenessLock(const LivenessLock&) = delete;
  LivenessLock& operator=(const LivenessLock&) = delete;

  // Writes the stamp (our pid): "my stale signals are gone; what I raise from now on is of
  // this run". Returns the stamp's time (the file's new mtime).
  timespec mark_started();

 private:
  std::filesystem::path file_;
  UniqueFd fd_;
};

enum class Liveness { NotStarted, Alive, Gone, Unusable };

struct LockProbe {
  Liveness liveness = Liveness::NotStarted;
  bool stamped = false;   // the holder (or the last one, when Gone) called mark_started
  timespec stamped_at{};  // when, if stamped
  std::string problem;    // why, when Unusable
};

// NotStarted: no lock file. Alive: someone holds it. Gone: the file exists, nobody holds it.
// Unusable: something other than a regular file is at its name (`problem` says what); no
// process of the pod created it, so nothing it would say can be believed.
LockProbe probe_lock(const std::filesystem::path& file);
inline Liveness probe_liveness(const std::filesystem::path& file) {
  return probe_lock(file).liveness;
}

// Orders two file times (mtimes come from the same kernel clock on one file system).
inline bool at_or_after(const timespec& a, const timespec& b) {
  return a.tv_sec != b.tv_sec ? a.tv_sec > b.tv_sec : a.tv_nsec >= b.tv_nsec;
}

}  // namespace dm::sidecar
