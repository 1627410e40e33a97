#include "sidecar/process_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "common/util/error.h"

namespace dm::sidecar {

namespace {

// (pid, parent pid) of every process, from /proc/<pid>/stat: not every kernel has
// /proc/<pid>/task/<tid>/children.
std::vector<std::pair<pid_t, pid_t>> processes_and_parents() {
  std::vector<std::pair<pid_t, pid_t>> found;
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
    found.emplace_back(static_cast<pid_t>(pid), static_cast<pid_t>(ppid));
  }
  ::closedir(proc);
  return found;
}

}  // namespace

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> found;
  for (const auto& [pid, ppid] : processes_and_parents()) {
    if (ppid == parent) found.push_back(pid);
  }
  return found;
}

std::vector<pid_t> descendants_of(pid_t root) {
  const auto all = processes_and_parents();
  std::vector<pid_t> found;
  std::vector<pid_t> todo{root};
  // One snapshot of /proc has no cycles, but a pid re-used during the scan could make one: bound
  // the walk by the snapshot's size.
  while (!todo.empty() && found.size() < all.size()) {
    const pid_t parent = todo.back();
    todo.pop_back();
    for (const auto& [pid, ppid] : all) {
      if (ppid == parent && pid != root) {
        found.push_back(pid);
        todo.push_back(pid);
      }
    }
  }
  return found;
}

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
  std::array<int, 2> fds{-1, -1};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) throw_errno("cannot create pipe for", "the process group guard");
  UniqueFd watched(fds[0]);
  alive_ = UniqueFd(fds[1]);
  const long ms = static_cast<long>(grace.count());
  // The guard: only async-signal-safe calls (we have threads). Its own session, every catchable
  // signal blocked, so that only our death (end of file on the pipe) or SIGKILL ends it.
  guard_ = process::fork_call("the process group guard", process::ProcessGroup::NewSession,
                              [group, ms, watched = watched.get(), alive = alive_.get()] {
                                sigset_t all;
                                sigfillset(&all);
                                sigprocmask(SIG_SETMASK, &all, nullptr);
                                ::close(alive);
                                char byte;
                                ssize_t n;
                                while ((n = ::read(watched, &byte, 1)) < 0 && errno == EINTR) {
                                }
                                if (n == 0) {  // our parent died without disarming us
                                  ::kill(-group, SIGTERM);
                                  timespec wait{static_cast<time_t>(ms / 1000), (ms % 1000) * 1'000'000};
                                  while (::nanosleep(&wait, &wait) != 0 && errno == EINTR) {
                                  }
                                  ::kill(-group, SIGKILL);
                                }
                                return 0;
                              });
}

GroupGuard::~GroupGuard() {
  disarm();
}

void GroupGuard::disarm() {
  if (guard_.pid() < 0) return;
  guard_ = process::Child();  // SIGKILLed and reaped: it never touches the group
  alive_.reset();
}

}  // namespace dm::sidecar
