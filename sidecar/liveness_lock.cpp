#include "sidecar/liveness_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "common/util/error.h"

namespace dm::sidecar {

LivenessLock::LivenessLock(const std::filesystem::path& file) {
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_errno("cannot open lock file", file.string());
  // A prober holds the lock only between two system calls; 2 s is far more than that.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err != EWOULDBLOCK && err != EINTR) {
      ::close(fd_);
      throw_errno(err, "cannot lock", file.string());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::close(fd_);
      throw Error(ErrorKind::AlreadyExists,
                  "lock '" + file.string() + "' is held by another live process (same sidecar started twice?)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

LivenessLock::~LivenessLock() {
  if (fd_ >= 0) ::close(fd_);
}

LivenessLock::LivenessLock(LivenessLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

Liveness probe_liveness(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Liveness::NotStarted;
  // A shared lock is refused only while the holder's exclusive lock stands, and never makes
  // the holder's own (already taken) lock fail.
  const bool free = ::flock(fd, LOCK_SH | LOCK_NB) == 0;
  ::close(fd);
  return free ? Liveness::Gone : Liveness::Alive;
}

}  // namespace dm::sidecar
