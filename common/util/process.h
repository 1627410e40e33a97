// Child processes, started in one place: every fork and exec of the project goes through here
// (pg_ctl and psql as the cluster's user, the postmaster, the sidecars' children, the mount's
// daemoniser, fusermount3, the tests' children).
//
// spawn() prepares everything the child needs before fork (argv, environment, opened files,
// pipes, the group list), so that the child runs only async-signal-safe calls until exec: safe in
// a process with threads. In the child, in this order: signal mask reset, new process group or
// session, stdin/stdout/stderr redirected, user switch (groups, gid, uid), working directory,
// umask, death signal (after the user switch, which clears it), other fds closed, exec. A failure
// of any step before exec is reported back through a close-on-exec pipe, and spawn() throws a
// dm::Error naming the program and the step; the exit status of a started child is its own.
// fork_call() is the one fork without exec (a guard process, the mount daemoniser).
//
// A Child is move-only and owns the process: its destructor SIGKILLs (its group, when it leads
// one) and reaps a child still running, unless detach() gave it up. Methods of one Child are
// called from one thread; different Children are independent.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/util/unique_fd.h"

namespace dm::process {

// Who a child runs as, when not as us (we are root: PostgreSQL refuses root).
struct Credentials {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups; empty drops them all
};

// The groups of user `name` (getgrouplist, including `gid`); just {gid} when they cannot be read.
std::vector<gid_t> groups_of_user(const std::string& name, gid_t gid);

// Where one standard stream of the child comes from or goes to.
struct Stream {
  enum class Kind { Inherit, Null, File, Fd, Pipe, SameAsStdout };
  Kind kind = Kind::Inherit;
  std::filesystem::path file;  // File: opened for reading (stdin) or created 0600 and truncated
  int fd = -1;                 // Fd: ours, duplicated onto the child's stream (not closed)

  static Stream inherit() { return {}; }
  static Stream null() { return {Kind::Null, {}, -1}; }
  static Stream to_file(std::filesystem::path path) { return {Kind::File, std::move(path), -1}; }
  static Stream from_fd(int fd) { return {Kind::Fd, {}, fd}; }
  // A pipe: the child's end is its stream, ours is Child::take_stdin/stdout/stderr.
  static Stream pipe() { return {Kind::Pipe, {}, -1}; }
  // stderr only: the same as stdout (output interleaved as the child writes it).
  static Stream same_as_stdout() { return {Kind::SameAsStdout, {}, -1}; }
};

enum class ProcessGroup {
  Inherit,     // ours
  NewGroup,    // setpgid(0, 0): a signal to the group reaches the child's children too
  NewSession,  // setsid(): also no controlling terminal
};

struct SpawnOptions {
  std::optional<std::vector<std::string>> environment;  // "K=V" entries; default: ours
  std::filesystem::path working_dir;                    // empty: ours
  std::optional<Credentials> run_as;                    // switch user before exec
  Stream in, out, err;
  ProcessGroup group = ProcessGroup::Inherit;
  bool reset_signal_mask = true;  // ours may block signals (a signalfd); the program expects none
  std::optional<mode_t> umask;
  std::optional<int> death_signal;  // PR_SET_PDEATHSIG: sent when the forking *thread* ends
  bool close_other_fds = true;      // every fd but 0, 1 and 2 closed before exec
};

// How a child ended.
struct ExitStatus {
  int code = 0;    // its exit code, when it exited
  int signal = 0;  // the signal that killed it, else 0

  static ExitStatus from_wait_status(int status);
  bool success() const { return signal == 0 && code == 0; }
  // As a shell reports it: the exit code, or 128 + the signal.
  int shell_code() const { return signal != 0 ? 128 + signal : code; }
  // "exited with 1", "killed by signal 9 (Killed)".
  std::string describe() const;
};

// "pg_ctl exited with 1": the program's file name and how it ended.
std::string describe_exit(const std::string& program, const ExitStatus& status);

class Child {
 public:
  Child() = default;
  Child(pid_t pid, std::string program, ProcessGroup group);
  ~Child();
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& program() const { return program_; }
  // Readable once the child has exited (a pidfd, for poll or an event loop); -1 if the kernel
  // has none.
  int exit_fd() const { return pidfd_.get(); }
  // Our ends of the Stream::pipe() streams (invalid otherwise); the caller owns them.
  UniqueFd take_stdin() { return std::move(stdin_); }
  UniqueFd take_stdout() { return std::move(stdout_); }
  UniqueFd take_stderr() { return std::move(stderr_); }

  // Reaps the child if it has exited; how it ended (the same answer every time after that).
  std::optional<ExitStatus> poll();
  // Waits for the end, for ever.
  ExitStatus wait();
  // Waits at most `timeout`; nullopt if it still runs.
  std::optional<ExitStatus> wait_for(std::chrono::milliseconds timeout);
  // Sends `sig` to the child alone; nothing once it has been reaped.
  void signal(int sig);
  // Sends `sig` to the child's process group (it leads one: NewGroup or NewSession); to the child
  // alone otherwise.
  void signal_group(int sig);
  // Gives the process up: not waited for nor killed by us any more (a daemon, or a caller that
  // reaps by pid).
  pid_t detach();

 private:
  void kill_and_reap() noexcept;

  pid_t pid_ = -1;
  std::string program_;
  ProcessGroup group_ = ProcessGroup::Inherit;
  UniqueFd pidfd_;
  UniqueFd stdin_, stdout_, stderr_;
  std::optional<ExitStatus> exit_;

  friend Child spawn(const std::vector<std::string>& argv, const SpawnOptions& options);
};

// Starts argv[0] (a path, or a name looked up in our PATH) with `argv`. Throws dm::Error naming
// the program: NotFound when it is not in PATH, else the step that failed (a file to redirect
// to, the user switch, the working directory, exec) with its errno.
Child spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {});

// Forks and runs `body` in the child, which then exits with its return value (127 if it
// throws). In a process with threads `body` may only make async-signal-safe calls; a process
// that has none yet (the mount daemoniser) may do anything. `name` names the child in errors.
Child fork_call(const std::string& name, ProcessGroup group, const std::function<int()>& body);

// Reads `fd` (our end of a child's pipe) to its end; a read error ends it early, the child's
// exit status then tells the story.
std::string read_to_end(int fd);

// The running executable ("/proc/self/exe" resolved), to run another of its commands.
std::filesystem::path self_executable();

}  // namespace dm::process
