#include "sidecar/pg_sidecar.h"

#include <signal.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <fstream>

#include "common/util/error.h"
#include "sidecar/app_gate.h"
#include "sidecar/child_process.h"
#include "sidecar/duration.h"
#include "sidecar/event_waiter.h"
#include "sidecar/liveness_lock.h"
#include "sidecar/signal_files.h"

namespace dm::sidecar {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kStepGrace{30'000};  // SIGTERM → SIGKILL for a pg mover step

class PgSidecar {
 public:
  explicit PgSidecar(const PgSidecarRun& run) : run_(run), c_(run.config), coord_(c_.coord) {}

  int run() {
    coord_.ensure(c_.name);
    LivenessLock alive(coord_.path(signals::db_lock(c_.name)));
    for (const auto& stale : {signals::db_started(c_.name), signals::db_upload_done(c_.name),
                              signals::db_failed(c_.name), signals::db_init_upload(c_.name)}) {
      coord_.clear(stale);
    }
    EventWaiter waiter({coord_.root(), coord_.path(c_.name)}, c_.poll_interval);
    bool finished = false;
    try {
      prepare(waiter);
      start(waiter);
      coord_.raise(signals::db_started(c_.name));
      spdlog::info("pg sidecar '{}': database up on port {}; waiting for the application", c_.name, c_.port);
      const auto outcome = wait_for_app(waiter, {coord_, signals::db_init_upload(c_.name), c_.app_timeout,
                                                 [this] { return server_gone(); }, {}});
      stop(waiter);
      if (outcome.verdict == AppVerdict::Discard) {
        spdlog::warn("pg sidecar '{}': nothing saved: {}", c_.name, outcome.reason);
        return 0;
      }
      if (!c_.dest_repo.empty()) commit(waiter);
      else spdlog::info("pg sidecar '{}': no destRepo, the database is thrown away", c_.name);
      coord_.raise(signals::db_upload_done(c_.name));
      finished = true;
      if (c_.sleep_instead_of_exit) linger(waiter);
      return 0;
    } catch (const Interrupted& e) {
      stop_quietly();
      if (!finished) coord_.raise(signals::db_failed(c_.name), e.what());
      spdlog::error("pg sidecar '{}': {}", c_.name, e.what());
      return finished ? 0 : 128 + e.signal();
    } catch (const std::exception& e) {
      stop_quietly();
      coord_.raise(signals::db_failed(c_.name), e.what());
      throw;
    }
  }

 private:
  std::filesystem::path cluster() const { return c_.cluster_dir(); }

  // Runs `datamon pg <args>` to its end; its error line becomes ours.
  // `datamon pg <args> [--run-as USER]`: every pg mover command takes the cluster's owner.
  std::vector<std::string> pg_argv(const std::vector<std::string>& args) const {
    auto argv = run_.datamon_command;
    argv.emplace_back("pg");
    argv.insert(argv.end(), args.begin(), args.end());
    if (!c_.run_as.empty()) argv.insert(argv.end(), {"--run-as", c_.run_as});
    return argv;
  }

  void step(const std::string& what, std::vector<std::string> args, EventWaiter& waiter) {
    const auto argv = pg_argv(args);
    spdlog::info("pg sidecar '{}': {}", c_.name, what);
    ChildProcess child(argv, {.label = "pg " + args.front() + " " + c_.name});
    const auto deadline = Clock::now() + c_.app_timeout;
    for (;;) {
      if (auto code = child.poll_exit()) {
        if (*code == 0) return;
        throw Error(ErrorKind::Unavailable, "database '" + c_.name + "': " + what + " failed: " + child.failure_reason());
      }
      if (auto sig = waiter.terminated_by()) {
        child.stop(kStepGrace);
        throw Interrupted(*sig, "during " + what + " of database '" + c_.name + "'");
      }
      if (Clock::now() > deadline) {
        child.stop(kStepGrace);
        throw Error(ErrorKind::Unavailable, "database '" + c_.name + "': " + what + " did not finish within " +
                                                format_duration(c_.app_timeout));
      }
      waiter.wait(std::chrono::seconds(1), {child.exit_fd()});
    }
  }

  void prepare(EventWaiter& waiter) {
    if (!c_.src_repo.empty()) {
      std::vector<std::string> args{"restore", "--repo", c_.src_repo};
      if (!c_.src_bundle.empty()) args.insert(args.end(), {"--bundle", c_.src_bundle});
      if (!c_.src_label.empty()) args.insert(args.end(), {"--label", c_.src_label});
      args.insert(args.end(), {"--pgdata", cluster().string()});
      const std::string from = !c_.src_label.empty()    ? "label '" + c_.src_label + "'"
                               : !c_.src_bundle.empty() ? "bundle '" + c_.src_bundle + "'"
                                                        : "the latest bundle";
      step("restore from repo '" + c_.src_repo + "' " + from, args, waiter);
      return;
    }
    // A fresh database: whatever an earlier run left in the folder is not ours to keep.
    std::error_code ec;
    std::filesystem::remove_all(cluster(), ec);
    if (ec) throw Error(ErrorKind::Io, "cannot clear data folder '" + cluster().string() + "': " + ec.message());
    std::filesystem::create_directories(cluster().parent_path(), ec);
    std::vector<std::string> args{"init", "--pgdata", cluster().string()};
    if (!c_.owner.empty() && c_.owner != "postgres") args.insert(args.end(), {"--owner", c_.owner});
    step("init of a fresh database", args, waiter);
  }

  void start(EventWaiter& waiter) {
    std::vector<std::string> args{"start", "--pgdata", cluster().string(), "--port", c_.port};
    if (!c_.listen.empty()) args.insert(args.end(), {"--listen", c_.listen});
    started_ = true;  // from here on, a failure must try to stop the server
    step("start on port " + c_.port, args, waiter);
  }

  void stop(EventWaiter& waiter) {
    if (!started_) return;
    step("clean stop", {"stop", "--pgdata", cluster().string()}, waiter);
    started_ = false;
  }

  void stop_quietly() {
    if (!started_) return;
    try {
      ChildProcess child(pg_argv({"stop", "--pgdata", cluster().string()}), {.label = "pg stop " + c_.name});
      if (!child.wait_exit(kStepGrace) || child.poll_exit() != 0) {
        spdlog::error("pg sidecar '{}': clean stop failed: {}", c_.name, child.failure_reason());
        kill_server();
      }
    } catch (const std::exception& e) {
      spdlog::error("pg sidecar '{}': {}", c_.name, e.what());
      kill_server();
    }
    started_ = false;
  }

  // The postmaster's pid from postmaster.pid, if the file is there.
  std::optional<pid_t> server_pid() const {
    std::ifstream in(cluster() / "postmaster.pid");
    long pid = 0;
    if (!(in >> pid) || pid <= 0) return std::nullopt;
    return static_cast<pid_t>(pid);
  }

  std::optional<std::string> server_gone() const {
    const auto pid = server_pid();
    if (pid && (::kill(*pid, 0) == 0 || errno == EPERM)) return std::nullopt;
    return "database '" + c_.name + "': the server stopped while the application was running (see its log)";
  }

  void kill_server() {
    if (auto pid = server_pid(); pid && ::kill(*pid, SIGQUIT) == 0) {
      spdlog::warn("pg sidecar '{}': sent SIGQUIT to postmaster {}", c_.name, *pid);
    }
  }

  void commit(EventWaiter& waiter) {
    std::vector<std::string> args{"commit", "--pgdata", cluster().string(), "--repo", c_.dest_repo, "--message",
                                  c_.dest_message};
    if (!c_.dest_label.empty()) args.insert(args.end(), {"--label", c_.dest_label});
    step("commit to repo '" + c_.dest_repo + "'", args, waiter);
  }

  void linger(EventWaiter& waiter) {
    spdlog::info("pg sidecar '{}': sleeping {} (sleepInsteadOfExit)", c_.name, format_duration(c_.sleep_timeout));
    const auto deadline = Clock::now() + c_.sleep_timeout;
    while (!waiter.terminated_by() && Clock::now() < deadline) {
      waiter.wait(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
    }
  }

  const PgSidecarRun& run_;
  const PgSidecarConfig& c_;
  CoordDir coord_;
  bool started_ = false;
};

}  // namespace

int run_pg_sidecar(const PgSidecarRun& run) {
  PgSidecar sidecar(run);
  return sidecar.run();
}

}  // namespace dm::sidecar
