#include "sidecar/event_waiter.h"

#include <poll.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>

#include "common/util/error.h"

namespace dm::sidecar {

EventWaiter::EventWaiter(const std::vector<std::filesystem::path>& watch_dirs, std::chrono::milliseconds fallback_poll)
    : fallback_poll_(std::max(fallback_poll, std::chrono::milliseconds(10))) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  if (pthread_sigmask(SIG_BLOCK, &mask, &old_mask_) != 0) throw Error(ErrorKind::Internal, "cannot block signals");
  signal_fd_ = UniqueFd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signal_fd_.valid()) throw_errno("cannot create signalfd", "SIGTERM/SIGINT/SIGHUP");

  inotify_fd_ = UniqueFd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!inotify_fd_.valid()) {
    spdlog::warn("inotify unavailable, polling every {}ms", fallback_poll_.count());
    return;
  }
  for (const auto& dir : watch_dirs) {
    const uint32_t events = IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_ATTRIB;
    if (::inotify_add_watch(inotify_fd_.get(), dir.c_str(), events) < 0) {
      spdlog::warn("cannot watch '{}' with inotify, polling every {}ms", dir.string(), fallback_poll_.count());
      inotify_fd_.reset();
      return;
    }
  }
}

EventWaiter::~EventWaiter() {
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

std::optional<int> EventWaiter::wait(std::chrono::milliseconds max_wait, const std::vector<int>& extra_fds) {
  std::vector<pollfd> fds;
  fds.push_back({signal_fd_.get(), POLLIN, 0});
  if (inotify_fd_.valid()) fds.push_back({inotify_fd_.get(), POLLIN, 0});
  for (int fd : extra_fds) fds.push_back({fd, POLLIN, 0});
  auto limit = std::max(max_wait, std::chrono::milliseconds(0));
  if (!inotify_fd_.valid()) limit = std::min(limit, fallback_poll_);
  const int rc = ::poll(fds.data(), fds.size(), static_cast<int>(limit.count()));
  if (rc <= 0) return std::nullopt;
  if (inotify_fd_.valid() && (fds[1].revents & POLLIN)) {
    // Drain: only "something changed" matters; the caller re-reads the files it cares about.
    std::array<char, 4096> buffer;
    while (::read(inotify_fd_.get(), buffer.data(), buffer.size()) > 0) {
    }
  }
  std::optional<int> received;
  if (fds[0].revents & POLLIN) {
    signalfd_siginfo info;
    while (::read(signal_fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      received = static_cast<int>(info.ssi_signo);
    }
    if (received && !terminated_by_) terminated_by_ = received;
  }
  return received;
}

}  // namespace dm::sidecar
