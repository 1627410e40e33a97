#include "sidecar/process_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "common/util/error.h"

namespace dm::sidecar {

namespace {

// Our children, from /proc/<pid>/stat (the kernel here has no /proc/<pid>/task/<tid>/children).
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> found;
  DIR* proc = ::opendir("/proc");
  if (!proc) throw_errno("cannot list", "/proc");
  while (const dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;  // gone meanwhile
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ')' ends it.
    const auto close = stat.rfind(')');
    if (close == std::string::npos || close + 4 >= stat.size()) continue;
    const long ppid = std::strtol(stat.c_str() + close + 4, nullptr, 10);
    if (ppid == parent) found.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(proc);
  return found;
}

}  // namespace

void become_subreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) throw_errno("cannot become a subreaper", "prctl");
}

size_t kill_children(pid_t spare) {
  size_t killed = 0;
  // A fork bomb could refill the list for ever; the rounds are bounded all the same.
  for (int round = 0; round < 1000; ++round) {
    std::vector<pid_t> victims;
    for (pid_t pid : children_of(::getpid())) {
      if (pid != spare) victims.push_back(pid);
    }
    if (victims.empty()) break;
    for (pid_t pid : victims) ::kill(pid, SIGKILL);
    for (pid_t pid : victims) {
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    killed += victims.size();
  }
  return killed;
}

GroupGuard::GroupGuard(pid_t group, std::chrono::milliseconds grace) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("cannot create pipe for", "the process group guard");
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw_errno(err, "cannot fork", "the process group guard");
  }
  if (pid == 0) {
    // The guard: only async-signal-safe calls. Its own session, every catchable signal
    // blocked, so that only our death (end of file on the pipe) or SIGKILL ends it.
    ::setsid();
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    ::close(fds[1]);
    char byte;
    ssize_t n;
    while ((n = ::read(fds[0], &byte, 1)) < 0 && errno == EINTR) {
    }
    if (n == 0) {  // our parent died without disarming us
      ::kill(-group, SIGTERM);
      const auto ms = grace.count();
      timespec wait{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1'000'000};
      while (::nanosleep(&wait, &wait) != 0 && errno == EINTR) {
      }
      ::kill(-group, SIGKILL);
    }
    ::_exit(0);
  }
  ::close(fds[0]);
  pid_ = pid;
  alive_fd_ = fds[1];
}

GroupGuard::~GroupGuard() {
  disarm();
}

void GroupGuard::disarm() {
  if (pid_ < 0) return;
  ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  ::close(alive_fd_);
  pid_ = -1;
  alive_fd_ = -1;
}

}  // namespace dm::sidecar
