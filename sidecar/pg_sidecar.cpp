#include "sidecar/pg_sidecar.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <memory>

#include "common/util/error.h"
#include "sidecar/app_gate.h"
#include "sidecar/child_process.h"
#include "sidecar/destination_repos.h"
#include "sidecar/duration.h"
#include "sidecar/event_waiter.h"
#include "sidecar/liveness_lock.h"
#include "sidecar/postmaster.h"
#include "sidecar/progress_beacon.h"
#include "sidecar/signal_files.h"

namespace dm::sidecar {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kStepGrace{30'000};    // SIGTERM → SIGKILL for a pg mover step
constexpr milliseconds kServerStop{120'000};  // a fast shutdown, as `pg_ctl stop -t 120`
constexpr milliseconds kReadyPoll{200};

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
    const timespec started = alive.mark_started();
    EventWaiter waiter({coord_.root(), coord_.path(c_.name)}, c_.poll_interval);
    if (auto reason = app_already_failed(coord_, started)) {
      spdlog::warn("pg sidecar '{}': nothing prepared or saved: the wrapper reported: {}", c_.name, *reason);
      return 0;
    }
    ProgressBeacon beacon(coord_, signals::db_progress(c_.name));  // the wrapper's deadlines
    bool finished = false;
    try {
      if (!c_.dest_repo.empty()) {
        require_destination_repos(run_.datamon, {{c_.dest_repo, "database " + dm::quoted(c_.name)}});
      }
      prepare(waiter);
      start(waiter);
      coord_.raise(signals::db_started(c_.name));
      spdlog::info("pg sidecar '{}': database up on port {}; waiting for the application", c_.name, c_.port);
      const auto outcome = wait_for_app(waiter, {coord_,
                                                 started,
                                                 signals::db_init_upload(c_.name),
                                                 c_.app_timeout,
                                                 [this] { return server_gone(); },
                                                 {server_->exit_fd()}});
      stop(waiter);
      if (outcome.verdict == AppVerdict::Discard) {
        spdlog::warn("pg sidecar '{}': nothing saved: {}", c_.name, outcome.reason);
        return 0;
      }
      if (!c_.dest_repo.empty())
        commit(waiter);
      else
        spdlog::info("pg sidecar '{}': no destRepo, the database is thrown away", c_.name);
      coord_.raise(signals::db_upload_done(c_.name), outcome.request);  // echoes the request (wrapper.h)
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
      spdlog::error("pg sidecar '{}': {}", c_.name, e.what());
      wait_for_failure_heard(waiter, coord_, started, c_.app_timeout);
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
        throw Error(ErrorKind::Unavailable,
                    "database '" + c_.name + "': " + what + " failed: " + child.failure_reason());
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
      if (c_.upgrade) args.emplace_back("--upgrade");
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

  // The server is our child (postmaster.h): if we die, even by SIGKILL, it shuts down.
  void start(EventWaiter& waiter) {
    const std::string what = "start on port " + c_.port;
    spdlog::info("pg sidecar '{}': {}", c_.name, what);
    auto failed = [&](const std::string& why) {
      return Error(ErrorKind::Unavailable, "database '" + c_.name + "': " + what + " failed: " + why);
    };
    PostmasterOptions o{.pgdata = cluster(),
                        .port = c_.port,
                        .listen = c_.listen.empty() ? "127.0.0.1" : c_.listen,
                        .socket_dir = "/tmp",
                        .run_as = c_.run_as,
                        .label = "postgres " + c_.name};
    try {
      server_ = std::make_unique<Postmaster>(o);
    } catch (const Error& e) {
      throw failed(e.what());
    }
    const auto deadline = Clock::now() + c_.app_timeout;
    for (;;) {
      if (server_->exited()) throw failed(server_->failure_reason());
      if (server_->ready()) return;
      throw_if_interrupted(waiter, "during " + what + " of database '" + c_.name + "'");
      if (Clock::now() > deadline) {
        throw failed("not ready after " + format_duration(c_.app_timeout) + " (" + server_->failure_reason() + ")");
      }
      waiter.wait(kReadyPoll, {server_->exit_fd()});
    }
  }

  // Fast shutdown, then `datamon pg stop` checks that pg_controldata says "shut down" (and
  // brings an unclean cluster there, or says why).
  void stop(EventWaiter& waiter) {
    if (!server_) return;
    spdlog::info("pg sidecar '{}': fast shutdown", c_.name);
    const int code = server_->shut_down(kServerStop);
    const std::string reason = code == 0 ? "" : server_->failure_reason();
    server_.reset();
    if (code != 0) {
      throw Error(ErrorKind::Unavailable,
                  "database '" + c_.name + "': the server exited with status " + std::to_string(code) + ": " + reason);
    }
    step("clean stop", {"stop", "--pgdata", cluster().string()}, waiter);
  }

  // The same, on the way out after a failure or a SIGTERM: never throws.
  void stop_quietly() {
    if (!server_) return;
    try {
      server_->shut_down(kServerStop);
      server_.reset();
      ChildProcess check(pg_argv({"stop", "--pgdata", cluster().string()}), {.label = "pg stop " + c_.name});
      if (!check.wait_exit(kStepGrace) || check.poll_exit() != 0) {
        spdlog::error("pg sidecar '{}': the database was not left cleanly shut down: {}", c_.name,
                      check.failure_reason());
      }
    } catch (const std::exception& e) {
      spdlog::error("pg sidecar '{}': {}", c_.name, e.what());
    }
    server_.reset();
  }

  std::optional<std::string> server_gone() {
    if (!server_ || !server_->exited()) return std::nullopt;
    return "database '" + c_.name +
           "': the server stopped while the application was running: " + server_->failure_reason();
  }

  void commit(EventWaiter& waiter) {
    std::vector<std::string> args{"commit",     "--pgdata",  cluster().string(), "--repo",
                                  c_.dest_repo, "--message", c_.dest_message};
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
  std::unique_ptr<Postmaster> server_;
};

}  // namespace

int run_pg_sidecar(const PgSidecarRun& run) {
  PgSidecar sidecar(run);
  return sidecar.run();
}

}  // namespace dm::sidecar
