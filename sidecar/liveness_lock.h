// Liveness across containers: a process holds an flock(2) on a file in the coordination folder
// for as long as it lives; others probe it. The kernel drops the lock when the holder dies,
// even by SIGKILL, so a killed sidecar or wrapper is noticed at once, without heartbeats.
//
// The lock file is opened O_CLOEXEC, so children exec'd by the holder do not keep it alive.
// Errors are dm::Error naming the lock file. Not copyable; movable.
#pragma once

#include <filesystem>

namespace dm::sidecar {

class LivenessLock {
 public:
  // Takes the lock, retrying briefly (a prober may hold it for an instant). AlreadyExists when
  // another live process holds it: two sidecars with the same name in one pod.
  explicit LivenessLock(const std::filesystem::path& file);
  ~LivenessLock();
  LivenessLock(LivenessLock&& other) noexcept;
  LivenessLock& operator=(LivenessLock&&) = delete;
  LivenessLock(const LivenessLock&) = delete;
  LivenessLock& operator=(const LivenessLock&) = delete;

 private:
  int fd_ = -1;
};

enum class Liveness { NotStarted, Alive, Gone };

// NotStarted: no lock file. Alive: someone holds it. Gone: the file exists, nobody holds it.
Liveness probe_liveness(const std::filesystem::path& file);

}  // namespace dm::sidecar
