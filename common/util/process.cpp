#include "common/util/process.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "common/util/error.h"

extern char** environ;

namespace dm::process {

namespace fs = std::filesystem;

namespace {

// The step of the child's set-up that failed, as the child reports it through the pipe; an
// index of kStepText.
enum class Step : int { Group, Redirect, User, WorkingDir, DeathSignal, CloseFds, Exec };

constexpr std::array<const char*, 7> kStepText{"cannot start a process group or session for",
                                               "cannot redirect the standard streams of",
                                               "cannot switch to the child's user for",
                                               "cannot enter the working directory of",
                                               "cannot set the death signal of",
                                               "cannot close the inherited files of",
                                               "cannot execute"};

struct Report {
  Step step;
  int err;
};

const char* step_text(Step step) {
  const auto i = static_cast<size_t>(step);
  return i < kStepText.size() ? kStepText[i] : "cannot start";
}

std::string resolve_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path_env = std::getenv("PATH");
  const std::string path = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find(':', start), path.size());
    const std::string dir = end > start ? path.substr(start, end - start) : ".";
    std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  throw Error(ErrorKind::NotFound, "program " + dm::quoted(name) + " not found in PATH");
}

UniqueFd open_pidfd(pid_t pid) {
  // glibc 2.36 declares pidfd_open without C linkage; the system call itself is fine.
  return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
}

// The fds the child's streams come from, opened before fork; the child only duplicates them.
struct StreamFds {
  std::array<int, 3> source{-1, -1, -1};  // -1: inherit
  bool err_same_as_out = false;
  std::array<UniqueFd, 3> owned;  // what we opened for the child (closed after fork)
  std::array<UniqueFd, 3> ours;   // our ends of its pipes
};

void prepare_stream(int target, const Stream& s, const std::string& program, StreamFds& fds) {
  const auto index = static_cast<size_t>(target);
  switch (s.kind) {
    case Stream::Kind::Inherit:
      return;
    case Stream::Kind::SameAsStdout:
      if (target != STDERR_FILENO) throw Error(ErrorKind::Internal, "only stderr can be the same as stdout");
      fds.err_same_as_out = true;
      return;
    case Stream::Kind::Fd:
      fds.source[index] = s.fd;
      return;
    case Stream::Kind::Null:
      fds.owned[index] = UniqueFd(::open("/dev/null", O_RDWR | O_CLOEXEC));
      if (!fds.owned[index].valid()) throw_errno("cannot open /dev/null for", program);
      break;
    case Stream::Kind::File: {
      const int flags = target == STDIN_FILENO ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC;
      fds.owned[index] = UniqueFd(::open(s.file.c_str(), flags | O_CLOEXEC, 0600));
      if (!fds.owned[index].valid())
        throw_errno("cannot open the stream file of " + dm::quoted(program), s.file.string());
      break;
    }
    case Stream::Kind::Pipe: {
      std::array<int, 2> ends{-1, -1};
      if (::pipe2(ends.data(), O_CLOEXEC) != 0) throw_errno("cannot create a pipe for", program);
      const bool child_reads = target == STDIN_FILENO;
      fds.owned[index] = UniqueFd(child_reads ? ends[0] : ends[1]);
      fds.ours[index] = UniqueFd(child_reads ? ends[1] : ends[0]);
      break;
    }
  }
  fds.source[index] = fds.owned[index].get();
}

// Everything the child reads after fork, built before it: from here to exec the child
// allocates nothing and calls only async-signal-safe functions.
struct Prepared {
  const char* program = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const StreamFds* streams = nullptr;
  const SpawnOptions* options = nullptr;
  const char* working_dir = nullptr;  // null: ours
  pid_t parent = -1;
  int report_fd = -1;
};

[[noreturn]] void fail_in_child(int report_fd, Step step) {
  const Report r{step, errno};
  [[maybe_unused]] auto n = ::write(report_fd, &r, sizeof r);
  ::_exit(127);
}

bool enter_group(ProcessGroup group) {
  switch (group) {
    case ProcessGroup::Inherit:
      return true;
    case ProcessGroup::NewGroup:
      return ::setpgid(0, 0) == 0;
    case ProcessGroup::NewSession:
      return ::setsid() >= 0;
  }
  return true;
}

[[noreturn]] void run_child(const Prepared& p) {
  const SpawnOptions& o = *p.options;
  if (o.reset_signal_mask) {
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, nullptr);
  }
  if (!enter_group(o.group)) fail_in_child(p.report_fd, Step::Group);
  // Sources below 3 would be overwritten by an earlier dup2: move them up first.
  std::array<int, 3> source = p.streams->source;
  for (int& fd : source) {
    if (fd >= 0 && fd < 3 && (fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0) fail_in_child(p.report_fd, Step::Redirect);
  }
  for (int target = 0; target < 3; ++target) {
    const int fd = source[static_cast<size_t>(target)];
    if (fd >= 0 && ::dup2(fd, target) < 0) fail_in_child(p.report_fd, Step::Redirect);
  }
  if (p.streams->err_same_as_out && ::dup2(STDOUT_FILENO, STDERR_FILENO) < 0) {
    fail_in_child(p.report_fd, Step::Redirect);
  }
  if (o.run_as) {
    const Credentials& c = *o.run_as;
    if (::setgroups(c.groups.size(), c.groups.data()) != 0 || ::setgid(c.gid) != 0 || ::setuid(c.uid) != 0) {
      fail_in_child(p.report_fd, Step::User);
    }
  }
  if (p.working_dir && ::chdir(p.working_dir) != 0) fail_in_child(p.report_fd, Step::WorkingDir);
  if (o.umask) ::umask(*o.umask);
  // After the user switch, which clears it.
  if (o.death_signal) {
    if (::prctl(PR_SET_PDEATHSIG, *o.death_signal) != 0) fail_in_child(p.report_fd, Step::DeathSignal);
    if (::getppid() != p.parent) ::_exit(127);  // the parent died before the line above
  }
  // Marked close-on-exec rather than closed: the report pipe stays open until exec succeeds.
  if (o.close_other_fds && ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) fail_in_child(p.report_fd, Step::CloseFds);
  ::execve(p.program, p.argv, p.envp);
  fail_in_child(p.report_fd, Step::Exec);
}

// What the child reported before exec, if anything (end of file: exec succeeded).
std::optional<Report> read_report(int fd) {
  Report r{};
  size_t got = 0;
  while (got < sizeof r) {
    const ssize_t n = ::read(fd, reinterpret_cast<char*>(&r) + got, sizeof r - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  if (got < sizeof r) return std::nullopt;
  return r;
}

}  // namespace

std::string read_to_end(int fd) {
  std::string out;
  std::array<char, 8192> buf;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf.data(), static_cast<size_t>(n));
  }
}

std::vector<gid_t> groups_of_user(const std::string& name, gid_t gid) {
  std::vector<gid_t> groups(64);
  int n = static_cast<int>(groups.size());
  if (::getgrouplist(name.c_str(), gid, groups.data(), &n) < 0) return {gid};
  groups.resize(static_cast<size_t>(n));
  return groups;
}

ExitStatus ExitStatus::from_wait_status(int status) {
  if (WIFSIGNALED(status)) return {0, WTERMSIG(status)};
  if (WIFEXITED(status)) return {WEXITSTATUS(status), 0};
  return {255, 0};  // stopped or continued: never asked for (no WUNTRACED)
}

std::string ExitStatus::describe() const {
  if (signal == 0) return "exited with " + std::to_string(code);
  const char* name = ::strsignal(signal);
  return "killed by signal " + std::to_string(signal) + (name ? std::string(" (") + name + ")" : "");
}

std::string describe_exit(const std::string& program, const ExitStatus& status) {
  return fs::path(program).filename().string() + " " + status.describe();
}

Child::Child(pid_t pid, std::string program, ProcessGroup group)
    : pid_(pid), program_(std::move(program)), group_(group), pidfd_(open_pidfd(pid)) {}

Child::~Child() {
  kill_and_reap();
}

Child::Child(Child&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      program_(std::move(other.program_)),
      group_(other.group_),
      pidfd_(std::move(other.pidfd_)),
      stdin_(std::move(other.stdin_)),
      stdout_(std::move(other.stdout_)),
      stderr_(std::move(other.stderr_)),
      exit_(other.exit_) {}

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    pid_ = std::exchange(other.pid_, -1);
    program_ = std::move(other.program_);
    group_ = other.group_;
    pidfd_ = std::move(other.pidfd_);
    stdin_ = std::move(other.stdin_);
    stdout_ = std::move(other.stdout_);
    stderr_ = std::move(other.stderr_);
    exit_ = other.exit_;
  }
  return *this;
}

void Child::kill_and_reap() noexcept {
  if (pid_ <= 0 || exit_) return;
  signal_group(SIGKILL);
  ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

std::optional<ExitStatus> Child::poll() {
  if (exit_ || pid_ <= 0) return exit_;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) exit_ = ExitStatus::from_wait_status(status);
  return exit_;
}

ExitStatus Child::wait() {
  if (exit_) return *exit_;
  if (pid_ <= 0) throw Error(ErrorKind::Internal, "no process to wait for");
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("cannot wait for", program_);
  }
  exit_ = ExitStatus::from_wait_status(status);
  return *exit_;
}

std::optional<ExitStatus> Child::wait_for(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto status = poll()) return status;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    if (pidfd_.valid()) {
      pollfd fd{pidfd_.get(), POLLIN, 0};
      ::poll(&fd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    } else {
      ::usleep(static_cast<useconds_t>(std::min<int64_t>(left.count(), 20) * 1000));
    }
  }
}

void Child::signal(int sig) {
  if (pid_ > 0 && !exit_) ::kill(pid_, sig);
}

void Child::signal_group(int sig) {
  if (pid_ <= 0 || exit_) return;
  ::kill(group_ == ProcessGroup::Inherit ? pid_ : -pid_, sig);
}

pid_t Child::detach() {
  pidfd_.reset();
  return std::exchange(pid_, -1);
}

Child spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty()) throw Error(ErrorKind::Internal, "cannot start a program: empty command line");
  const std::string program = resolve_program(argv[0]);

  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::vector<char*> cenv;
  if (options.environment) {
    cenv.reserve(options.environment->size() + 1);
    for (const auto& e : *options.environment) cenv.push_back(const_cast<char*>(e.c_str()));
    cenv.push_back(nullptr);
  }
  StreamFds streams;
  prepare_stream(STDIN_FILENO, options.in, argv[0], streams);
  prepare_stream(STDOUT_FILENO, options.out, argv[0], streams);
  prepare_stream(STDERR_FILENO, options.err, argv[0], streams);
  const std::string working_dir = options.working_dir.string();

  std::array<int, 2> report{-1, -1};
  if (::pipe2(report.data(), O_CLOEXEC) != 0) throw_errno("cannot create a pipe for", argv[0]);
  UniqueFd report_read(report[0]);
  UniqueFd report_write(report[1]);
  const Prepared prepared{program.c_str(), cargv.data(),      options.environment ? cenv.data() : environ,
                          &streams,        &options,          working_dir.empty() ? nullptr : working_dir.c_str(),
                          ::getpid(),      report_write.get()};
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("cannot fork to run", argv[0]);
  if (pid == 0) run_child(prepared);

  // Also here, so that a signal to the group right after we return cannot miss it.
  if (options.group == ProcessGroup::NewGroup) ::setpgid(pid, pid);
  Child child(pid, argv[0], options.group);
  report_write.reset();
  if (const auto failed = read_report(report_read.get())) {
    child.wait();
    throw_errno(failed->err, step_text(failed->step), argv[0]);
  }
  child.stdin_ = std::move(streams.ours[0]);
  child.stdout_ = std::move(streams.ours[1]);
  child.stderr_ = std::move(streams.ours[2]);
  return child;
}

Child fork_call(const std::string& name, ProcessGroup group, const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("cannot fork", name);
  if (pid == 0) {
    if (!enter_group(group)) ::_exit(127);
    int code = 127;
    try {
      code = body();
    } catch (...) {
    }
    ::_exit(code);
  }
  if (group == ProcessGroup::NewGroup) ::setpgid(pid, pid);
  return Child(pid, name, group);
}

fs::path self_executable() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error(ErrorKind::Internal, "cannot resolve /proc/self/exe: " + ec.message());
  return p;
}

}  // namespace dm::process
