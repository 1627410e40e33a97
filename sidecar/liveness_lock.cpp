#include "sidecar/liveness_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "common/util/error.h"
#include "common/util/files.h"
#include "sidecar/coord_file.h"

namespace dm::sidecar {

LivenessLock::LivenessLock(const std::filesystem::path& file) : file_(file) {
  // A live holder's stamp must not be erased by a second instance that is about to be refused.
  if (probe_lock(file).liveness == Liveness::Alive) {
    throw Error(ErrorKind::AlreadyExists,
                "lock '" + file.string() + "' is held by another live process (same sidecar started twice?)");
  }
  auto opened = CoordFile::open(file, O_RDWR | O_CREAT);
  fd_ = UniqueFd(::fcntl(opened->fd(), F_DUPFD_CLOEXEC, 0));  // ours: the lock lives as long as this object
  if (!fd_.valid()) throw_errno("cannot open lock file", file.string());
  // Emptied before the lock is taken: whoever sees us holding it can no longer read the stamp
  // of an earlier run, so it waits for ours.
  if (::ftruncate(fd_.get(), 0) != 0) throw_errno("cannot empty lock file", file.string());
  // A prober holds the lock only between two system calls; 2 s is far more than that.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err != EWOULDBLOCK && err != EINTR) throw_errno(err, "cannot lock", file.string());
    if (std::chrono::steady_clock::now() > deadline) {
      throw Error(ErrorKind::AlreadyExists,
                  "lock '" + file.string() + "' is held by another live process (same sidecar started twice?)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

timespec LivenessLock::mark_started() {
  const std::string stamp = "pid " + std::to_string(::getpid()) + "\n";
  write_full_at(fd_.get(), stamp, 0, file_.string());
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) throw_errno("cannot stat lock file", file_.string());
  return st.st_mtim;
}

LockProbe probe_lock(const std::filesystem::path& file) {
  LockProbe probe;
  std::optional<CoordFile> opened;
  try {
    opened = CoordFile::open(file, O_RDONLY);
  } catch (const Error& e) {
    probe.liveness = Liveness::Unusable;
    probe.problem = e.what();
    return probe;
  }
  if (!opened) return probe;
  const int fd = opened->fd();
  // A shared lock is refused only while the holder's exclusive lock stands, and never makes
  // the holder's own (already taken) lock fail.
  const bool free = ::flock(fd, LOCK_SH | LOCK_NB) == 0;
  probe.liveness = free ? Liveness::Gone : Liveness::Alive;
  // Read after the lock: a holder empties the file before locking it, so an old stamp is
  // never taken for the current holder's.
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    probe.stamped = true;
    probe.stamped_at = st.st_mtim;
  }
  return probe;
}

}  // namespace dm::sidecar
