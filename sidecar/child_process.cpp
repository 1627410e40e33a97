#include "sidecar/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>

#include "common/util/error.h"

namespace dm::sidecar {

namespace {

constexpr size_t kKeptLines = 20;
constexpr const char* kErrorPrefix = "datamon: error: ";

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
  process::SpawnOptions spawn;
  spawn.environment = options_.environment;
  if (options_.run_as) {
    spawn.run_as = *options_.run_as;
    spawn.working_dir = "/";
  }
  spawn.group = options_.own_process_group ? process::ProcessGroup::NewGroup : process::ProcessGroup::Inherit;
  if (options_.die_with_parent) spawn.death_signal = options_.death_signal;
  // The wrapped application inherits the files we were given, as it would under exec.
  spawn.close_other_fds = false;
  if (options_.tap_output) {
    spawn.out = process::Stream::pipe();
    spawn.err = process::Stream::same_as_stdout();
  }
  child_ = process::spawn(argv, spawn);
  if (options_.tap_output) {
    tap_ = std::make_unique<OutputTap>();
    tap_->read_fd = child_.take_stdout().release();
    ::fcntl(tap_->read_fd, F_SETFL, O_NONBLOCK);
    tap_->stop_fd = ::eventfd(0, EFD_CLOEXEC);
    tap_->prefix = "[" + options_.label + "] ";
    tap_->thread = std::thread([tap = tap_.get()] { tap->run(); });
  }
  spdlog::debug("started {} pid={}", options_.label, child_.pid());
}

ChildProcess::~ChildProcess() {
  try {
    if (!exit_code_) stop(std::chrono::seconds(5));
  } catch (...) {
  }
  tap_.reset();
}

std::optional<int> ChildProcess::poll_exit() {
  if (exit_code_) return exit_code_;
  if (const auto status = child_.poll()) {
    exit_code_ = status->shell_code();
    finish_output();
  }
  return exit_code_;
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (!exit_code_) child_.wait_for(timeout);
  return poll_exit();
}

void ChildProcess::signal(int sig) {
  if (!exit_code_) child_.signal_group(sig);  // the child alone when it leads no group
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (auto code = poll_exit()) return *code;
  signal(SIGTERM);
  if (auto code = wait_exit(grace)) return *code;
  spdlog::warn("{} did not stop within {}ms after SIGTERM; killing it", options_.label, grace.count());
  signal(SIGKILL);
  exit_code_ = child_.wait().shell_code();
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

}  // namespace dm::sidecar
