#include "sidecar/child_process.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "common/util/error.h"

extern char** environ;

namespace dm::sidecar {

namespace {

constexpr size_t kKeptLines = 20;
constexpr const char* kErrorPrefix = "datamon: error: ";

std::string resolve_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path_env = std::getenv("PATH");
  std::string path = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find(':', start), path.size());
    const std::string dir = end > start ? path.substr(start, end - start) : ".";
    std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  throw Error(ErrorKind::NotFound, "program '" + name + "' not found in PATH");
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace

// Copies the child's output to our stderr and keeps its tail. Stops at end of file, or when
// asked (a grandchild such as a postgres server may keep the pipe open after the child exits).
struct ChildProcess::OutputTap {
  int read_fd = -1;
  int stop_fd = -1;
  std::string prefix;
  std::mutex mutex;
  std::deque<std::string> tail;
  std::thread thread;

  void keep(const std::string& line) {
    std::fprintf(stderr, "%s%s\n", prefix.c_str(), line.c_str());
    std::lock_guard lock(mutex);
    tail.push_back(line);
    if (tail.size() > kKeptLines) tail.pop_front();
  }

  void run() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    std::string pending;
    std::array<char, 4096> buffer;
    bool stopping = false;
    for (;;) {
      if (!stopping) {
        std::array<pollfd, 2> fds{{{read_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}}};
        if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) break;
        if (fds[1].revents & POLLIN) stopping = true;  // drain what is there, then leave
      }
      const ssize_t n = ::read(read_fd, buffer.data(), buffer.size());
      if (n > 0) {
        pending.append(buffer.data(), static_cast<size_t>(n));
        size_t nl;
        while ((nl = pending.find('\n')) != std::string::npos) {
          keep(pending.substr(0, nl));
          pending.erase(0, nl + 1);
        }
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN && !stopping) continue;
      break;  // end of file, or nothing left to drain
    }
    if (!pending.empty()) keep(pending);
  }

  ~OutputTap() {
    if (thread.joinable()) {
      const uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(stop_fd, &one, sizeof one);
      thread.join();
    }
    if (read_fd >= 0) ::close(read_fd);
    if (stop_fd >= 0) ::close(stop_fd);
  }
};

ChildProcess::ChildProcess(const std::vector<std::string>& argv, SpawnOptions options) : options_(std::move(options)) {
  if (argv.empty()) throw Error(ErrorKind::Internal, "empty command line");
  if (options_.label.empty()) options_.label = argv[0];
  const std::string program = resolve_program(argv[0]);
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);

  std::vector<std::string> env_storage;
  std::vector<char*> cenv;
  if (options_.environment) {
    env_storage = *options_.environment;
    for (auto& e : env_storage) cenv.push_back(e.data());
    cenv.push_back(nullptr);
  }
  char** child_env = options_.environment ? cenv.data() : environ;
  const Credentials* creds = options_.run_as ? &*options_.run_as : nullptr;

  std::array<int, 2> pipe_fds{-1, -1};
  if (options_.tap_output && ::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) throw_errno("cannot create pipe for", program);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("cannot fork to run", program);
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, nullptr);
    if (options_.own_process_group) ::setpgid(0, 0);
    if (options_.tap_output) {
      ::dup2(pipe_fds[1], STDOUT_FILENO);
      ::dup2(pipe_fds[1], STDERR_FILENO);
    }
    if (creds) {
      if (::setgroups(creds->groups.size(), creds->groups.data()) != 0 || ::setgid(creds->gid) != 0 ||
          ::setuid(creds->uid) != 0 || ::chdir("/") != 0) {
        const char msg[] = "datamon: error: cannot switch to the child's user\n";
        [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
        ::_exit(126);
      }
    }
    // After the user switch (which clears it), just before exec.
    if (options_.die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, options_.death_signal);
      if (::getppid() != parent) ::_exit(127);  // the parent died before the line above
    }
    ::execve(program.c_str(), cargv.data(), child_env);
    const char msg[] = "datamon: error: cannot execute child program\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  pid_ = pid;
  if (options_.own_process_group) ::setpgid(pid, pid);  // also here: no race with an early signal
  // glibc 2.36 declares pidfd_open without C linkage; the system call itself is fine.
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (options_.tap_output) {
    ::close(pipe_fds[1]);
    tap_ = std::make_unique<OutputTap>();
    tap_->read_fd = pipe_fds[0];
    ::fcntl(tap_->read_fd, F_SETFL, O_NONBLOCK);
    tap_->stop_fd = ::eventfd(0, EFD_CLOEXEC);
    tap_->prefix = "[" + options_.label + "] ";
    tap_->thread = std::thread([tap = tap_.get()] { tap->run(); });
  }
  spdlog::debug("started {} pid={}", options_.label, pid_);
}

ChildProcess::~ChildProcess() {
  try {
    if (!exit_code_) stop(std::chrono::seconds(5));
  } catch (...) {
  }
  tap_.reset();
  if (pidfd_ >= 0) ::close(pidfd_);
}

std::optional<int> ChildProcess::poll_exit() {
  if (exit_code_) return exit_code_;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = decode_status(status);
    finish_output();
  }
  return exit_code_;
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto code = poll_exit()) return code;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    if (pidfd_ >= 0) {
      pollfd fd{pidfd_, POLLIN, 0};
      ::poll(&fd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    } else {
      ::usleep(20'000);
    }
  }
}

void ChildProcess::signal(int sig) {
  if (exit_code_) return;
  if (options_.own_process_group)
    ::kill(-pid_, sig);
  else
    ::kill(pid_, sig);
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (auto code = poll_exit()) return *code;
  signal(SIGTERM);
  if (auto code = wait_exit(grace)) return *code;
  spdlog::warn("{} did not stop within {}ms after SIGTERM; killing it", options_.label, grace.count());
  signal(SIGKILL);
  if (options_.own_process_group) ::kill(-pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_code_ = decode_status(status);
  finish_output();
  return *exit_code_;
}

void ChildProcess::finish_output() {
  if (tap_ && tap_->thread.joinable()) {
    const uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(tap_->stop_fd, &one, sizeof one);
    tap_->thread.join();
  }
}

std::string ChildProcess::failure_reason() {
  std::string status = exit_code_ ? "exited with status " + std::to_string(*exit_code_) : "is still running";
  if (!tap_) return status;
  std::lock_guard lock(tap_->mutex);
  for (auto it = tap_->tail.rbegin(); it != tap_->tail.rend(); ++it) {
    const auto at = it->find(kErrorPrefix);
    if (at != std::string::npos) return it->substr(at + std::string(kErrorPrefix).size());
  }
  for (auto it = tap_->tail.rbegin(); it != tap_->tail.rend(); ++it) {
    if (!it->empty()) return *it + " (" + status + ")";
  }
  return status;
}

std::vector<std::string> ChildProcess::output_tail() {
  if (!tap_) return {};
  std::lock_guard lock(tap_->mutex);
  return {tap_->tail.begin(), tap_->tail.end()};
}

std::string self_executable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error(ErrorKind::Internal, "cannot resolve /proc/self/exe: " + ec.message());
  return p.string();
}

}  // namespace dm::sidecar
