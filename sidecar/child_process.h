// A supervised child process: the mount, the pg mover steps, the wrapped application (over
// common/util/process, which starts it).
//
// The child starts with the default signal mask (the parent blocks SIGTERM/SIGINT for its
// EventWaiter), optionally in its own process group (so that a stop reaches its children too),
// optionally as another user (we are root; PostgreSQL refuses root) with its own environment,
// and optionally bound to the parent's life (PR_SET_PDEATHSIG, set after the user switch,
// which would clear it: a killed sidecar does not leave a mount, a restore or a server
// running). The kernel sends that signal when the *thread* that forked exits, so children
// bound to the parent's life are started from the main thread. With `tap_output`, its stdout and stderr are copied line
// by line to ours with a "[label] " prefix, and the last lines are kept to explain a failure. The destructor stops a
// child that is still running (SIGTERM, then SIGKILL) and reaps it. Errors are dm::Error naming the program. Methods
// are called from one thread.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/util/process.h"

namespace dm::sidecar {

// Who a child runs as, when not as us.
using Credentials = process::Credentials;

struct SpawnOptions {
  std::string label;               // names the child in logs and errors
  bool tap_output = true;          // copy its output to our stderr and keep the tail
  bool own_process_group = false;  // signals then go to the whole group
  bool die_with_parent = true;     // `death_signal` to the child when we die
  int death_signal = SIGTERM;
  std::optional<Credentials> run_as{};                    // switch user before exec (then cwd is /)
  std::optional<std::vector<std::string>> environment{};  // "K=V" entries; default: ours
};

class ChildProcess {
 public:
  // argv[0] is a path or a name looked up in PATH.
  ChildProcess(const std::vector<std::string>& argv, SpawnOptions options);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return child_.pid(); }
  const std::string& label() const { return options_.label; }
  // Readable once the child has exited (a pidfd), for EventWaiter::wait.
  int exit_fd() const { return child_.exit_fd(); }

  // Reaps the child if it has exited: its exit code (128 + signal when killed).
  std::optional<int> poll_exit();
  // Waits up to `timeout` for the exit.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  bool running() { return !poll_exit().has_value(); }
  // Sends `sig` to the child (or to its group).
  void signal(int sig);
  // SIGTERM, then SIGKILL after `grace`; returns the exit code.
  int stop(std::chrono::milliseconds grace);

  // Why it failed, for a one-line error: its last "datamon: error: ..." line, else its last
  // output line, else "exited with status N".
  std::string failure_reason();
  // The last lines of its output (with tap_output), oldest first.
  std::vector<std::string> output_tail();

 private:
  struct OutputTap;
  void finish_output();

  SpawnOptions options_;
  process::Child child_;
  std::optional<int> exit_code_;
  std::unique_ptr<OutputTap> tap_;
};

}  // namespace dm::sidecar
