#include "sidecar/wrapper.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <random>
#include <set>

#include "common/util/error.h"
#include "common/util/hex.h"
#include "sidecar/child_process.h"
#include "sidecar/duration.h"
#include "sidecar/event_waiter.h"
#include "sidecar/liveness_lock.h"
#include "sidecar/process_tree.h"
#include "sidecar/signal_files.h"

namespace dm::sidecar {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Liveness locks are probed, not watched: this bounds how late a killed sidecar is noticed.
constexpr milliseconds kProbePeriod{250};

enum class Phase { WaitingForSidecars, RunningApp, WaitingForOutputs, Aborting, Done };

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::WaitingForSidecars:
      return "waiting-for-sidecars";
    case Phase::RunningApp:
      return "running-app";
    case Phase::WaitingForOutputs:
      return "waiting-for-outputs";
    case Phase::Aborting:
      return "aborting";
    case Phase::Done:
      return "done";
  }
  return "?";
}

// What the wrapper knows of one declared sidecar and the files that speak for it.
struct SidecarView {
  std::string title;  // "sidecar fuse", "sidecar pg 'db1'"
  std::string ready, start_upload, done, failed, lock, progress;
  bool seen_alive = false;                     // seen holding its stamped lock: an instance of this run
  bool ignored_earlier = false;                // its files were ignored as an earlier run's
  bool ignored_answer = false;                 // its `done` did not echo this run's request
  std::optional<std::string> progress_seen{};  // its progress signal's last content
  Clock::time_point progressed_at{};           // when that content was first seen
};

// A request's content: fresh random bytes, so that only a sidecar that read this run's request
// can answer it (a file planted beforehand, whatever its time stamp, cannot).
std::string new_request_token() {
  std::random_device device;
  std::array<uint8_t, 16> bytes{};
  for (auto& b : bytes) b = static_cast<uint8_t>(device());
  return "run " + to_hex(bytes);
}

enum class SidecarState { Pending, Reached, Failed };

struct Check {
  SidecarState state = SidecarState::Pending;
  std::string reason;
};

class Wrapper {
 public:
  explicit Wrapper(const WrapOptions& options) : options_(options), coord_(options.coord) {
    if (options_.fuse) {
      sidecars_.push_back({"sidecar fuse", signals::kMountDone, signals::kInitUpload, signals::kUploadDone,
                           signals::kFuseFailed, signals::kFuseLock, signals::kFuseProgress});
    }
    for (const auto& db : options_.databases) {
      sidecars_.push_back({"sidecar pg '" + db + "'", signals::db_started(db), signals::db_init_upload(db),
                           signals::db_upload_done(db), signals::db_failed(db), signals::db_lock(db),
                           signals::db_progress(db)});
    }
  }

  WrapOutcome run() {
    coord_.ensure();
    std::vector<std::filesystem::path> watched{coord_.root()};
    for (const auto& db : options_.databases) {
      coord_.ensure(db);
      watched.push_back(coord_.path(db));
    }
    // Termination signals are ours from here on: once the lock is stamped, a SIGTERM ends the
    // run through abort() (appfailed raised), never by the default action.
    EventWaiter waiter(watched, options_.poll_interval);
    become_subreaper();
    LivenessLock alive(coord_.path(signals::kWrapperLock));
    // Our own signals from an earlier run would release the sidecars too early.
    coord_.clear(signals::kAppFailed);
    for (const auto& s : sidecars_) coord_.clear(s.start_upload);
    started_ = alive.mark_started();

    enter(Phase::WaitingForSidecars);
    if (auto failure = wait_all(waiter, &SidecarView::ready, "ready")) return abort(waiter, *failure, 1);

    enter(Phase::RunningApp);
    std::unique_ptr<ChildProcess> started;
    try {
      started = std::make_unique<ChildProcess>(
          options_.command,
          SpawnOptions{.label = "app", .tap_output = false, .own_process_group = true, .die_with_parent = true});
    } catch (const Error& e) {
      return abort(waiter, std::string("cannot start the application: ") + e.what(), 127);
    }
    ChildProcess& app = *started;
    // If we are SIGKILLed, the guard ends the app's group; the app itself also gets SIGTERM.
    GroupGuard guard(app.pid(), options_.grace);
    int app_code = 0;
    std::optional<Clock::time_point> kill_at;  // a termination signal was forwarded: the grace ends
    for (;;) {
      auto wait_for = kProbePeriod;
      if (kill_at)
        wait_for =
            std::clamp(std::chrono::duration_cast<milliseconds>(*kill_at - Clock::now()), milliseconds(0), wait_for);
      if (auto sig = waiter.wait(wait_for, {app.exit_fd()})) {
        spdlog::info("forwarding signal {} to the application", *sig);
        app.signal(*sig);
        if (!kill_at) kill_at = Clock::now() + options_.grace;
      }
      if (auto code = app.poll_exit()) {
        app_code = *code;
        break;
      }
      if (kill_at && Clock::now() >= *kill_at) {
        spdlog::warn("the application did not stop within {} after the signal; killing it",
                     format_duration(options_.grace));
        app.signal(SIGKILL);
        kill_at = Clock::time_point::max();
      }
      if (auto failure = first_failure(nullptr)) {
        spdlog::info("application stopped (status {})", app.stop(options_.grace));
        end_app_tree(app, guard);
        return abort(waiter, *failure, 1);
      }
    }
    // Whatever the app left running (background jobs, daemons) ends with it, before the
    // sidecars are asked to save: nothing of the app may write the folder after that.
    end_app_tree(app, guard);
    if (app_code != 0) {
      return abort(waiter, "application " + options_.command[0] + " exited with status " + std::to_string(app_code),
                   app_code);
    }

    enter(Phase::WaitingForOutputs);
    request_token_ = new_request_token();
    for (const auto& s : sidecars_) coord_.raise(s.start_upload, request_token_);
    if (auto failure = wait_all(waiter, &SidecarView::done, "outputs saved")) {
      return abort(waiter, *failure, 1);
    }
    enter(Phase::Done);
    linger(waiter);
    return {};
  }

 private:
  void enter(Phase p) { spdlog::info("wrap: {}", phase_name(p)); }

  // Whether the sidecar's files are of this run. A sidecar clears its earlier run's files
  // before it stamps its lock, so they are when it holds a stamped lock, when it was seen doing
  // so, or when it stamped after our own start (it ended before we looked). A failing sidecar
  // keeps its lock until we heard of it, so a stamp older than our start on a released lock
  // is an earlier run's. No lock file at all: an old sidecar (files only), trusted as before.
  bool of_this_run(SidecarView& s, const LockProbe& probe) {
    switch (probe.liveness) {
      case Liveness::NotStarted:
        return true;
      case Liveness::Alive:
        if (probe.stamped) s.seen_alive = true;
        return probe.stamped;
      case Liveness::Gone:
        return s.seen_alive || (probe.stamped && at_or_after(probe.stamped_at, started_));
      case Liveness::Unusable:
        return false;
    }
    return false;
  }

  // Whether `goal` is raised for this run. The answer to our request (`done`) counts only when it
  // echoes the request's token: the app could have planted it while the sidecar was still
  // waiting to upload. A sidecar without a lock file is an old script, which writes it empty.
  bool reached(SidecarView& s, const std::string SidecarView::*goal, const LockProbe& probe) {
    if (!goal || !coord_.is_raised(s.*goal)) return false;
    if (goal != &SidecarView::done || probe.liveness == Liveness::NotStarted) return true;
    if (coord_.reason(s.done) == request_token_) return true;
    s.ignored_answer = true;
    return false;
  }

  Check check(SidecarView& s, const std::string SidecarView::*goal) {
    const auto probe = probe_lock(coord_.path(s.lock));
    const auto live = probe.liveness;
    if (live == Liveness::Unusable) return {SidecarState::Failed, s.title + ": " + probe.problem};
    if (!of_this_run(s, probe)) {
      s.ignored_earlier = s.ignored_earlier || coord_.is_raised(s.failed) || (goal && coord_.is_raised(s.*goal));
      return {};
    }
    if (auto reason = coord_.reason(s.failed)) return {SidecarState::Failed, s.title + " failed: " + *reason};
    if (reached(s, goal, probe)) return {SidecarState::Reached, {}};
    if (live == Liveness::Gone) {
      // It may have signalled and exited between our two looks.
      if (auto reason = coord_.reason(s.failed)) return {SidecarState::Failed, s.title + " failed: " + *reason};
      if (reached(s, goal, probe)) return {SidecarState::Reached, {}};
      return {SidecarState::Failed, s.title + " exited without signalling (killed?)"};
    }
    return {};
  }

  std::optional<std::string> first_failure(const std::string SidecarView::*goal) {
    for (auto& s : sidecars_) {
      auto c = check(s, goal);
      if (c.state == SidecarState::Failed) return c.reason;
    }
    return std::nullopt;
  }

  // A live sidecar of this run that changed its progress signal is still moving data.
  void note_progress(SidecarView& s) {
    if (!s.seen_alive) return;
    auto now = coord_.reason(s.progress);
    if (now && now != s.progress_seen) {
      s.progress_seen = std::move(now);
      s.progressed_at = Clock::now();
    }
  }

  // Waits until every sidecar reached `goal`; the reason of the first failure otherwise. A
  // sidecar times out `timeout` after the later of the wait's start and its last progress.
  std::optional<std::string> wait_all(EventWaiter& waiter, const std::string SidecarView::*goal, const char* what) {
    const auto started = Clock::now();
    for (;;) {
      std::vector<SidecarView*> pending;
      for (auto& s : sidecars_) {
        auto c = check(s, goal);
        if (c.state == SidecarState::Failed) return c.reason;
        if (c.state == SidecarState::Pending) {
          note_progress(s);
          pending.push_back(&s);
        }
      }
      if (pending.empty()) return std::nullopt;
      if (auto sig = waiter.terminated_by()) {
        return std::string("wrapper interrupted by signal ") + std::to_string(*sig) + " while waiting for " +
               pending.front()->title + " (" + what + ")";
      }
      auto left = kProbePeriod;
      for (const auto* s : pending) {
        const auto deadline = std::max(started, s->progressed_at) + options_.timeout;
        const auto until = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        if (until.count() <= 0) return timed_out(*s, what);
        left = std::min(left, until);
      }
      waiter.wait(left);
    }
  }

  std::string timed_out(const SidecarView& s, const char* what) const {
    return "timed out after " + format_duration(options_.timeout) + (s.progress_seen ? " without progress" : "") +
           " waiting for " + s.title + " (" + what + ")" +
           (s.ignored_earlier  ? "; its signal files in the coordination folder are from an earlier run"
            : s.ignored_answer ? "; its '" + s.done + "' does not answer this run's '" + s.start_upload + "'"
                               : std::string());
  }

  // The app has exited (or was stopped): its group and every orphan re-parented to us go too.
  static void end_app_tree(ChildProcess& app, GroupGuard& guard) {
    ::kill(-app.pid(), SIGKILL);
    if (const size_t killed = kill_children(guard.pid())) {
      spdlog::info("killed {} process(es) the application left running", killed);
    }
    guard.disarm();
  }

  // The app is not running (any more). Tells the sidecars to end without saving, then waits
  // (bounded by `timeout`) until every declared sidecar has heard it and ended. That includes
  // one that has not started yet: a sidecar believes `appfailed` only from a wrapper of its
  // own run, which it recognises by the live wrapper lock it finds when it starts; were we to
  // exit first, a late sidecar would take our signal for an earlier run's and wait for a start
  // signal that never comes (the failure pod of tests/docker).
  WrapOutcome abort(EventWaiter& waiter, const std::string& reason, int code) {
    enter(Phase::Aborting);
    spdlog::error("wrap: {}", reason);
    coord_.raise(signals::kAppFailed, reason);
    const auto deadline = Clock::now() + options_.timeout;
    for (auto& s : sidecars_) {
      bool told = false;
      while (!has_ended(s) && Clock::now() < deadline && !waiter.terminated_by()) {
        if (!told) {
          spdlog::info("wrap: waiting (up to {}) for {} to hear of the failure and end",
                       format_duration(options_.timeout), s.title);
          told = true;
        }
        waiter.wait(kProbePeriod);
      }
      if (!has_ended(s)) spdlog::warn("wrap: {} did not end; exiting without it", s.title);
    }
    return {code == 0 ? 1 : code, reason};
  }

  // Whether nothing more is to be expected of this sidecar in this run: it was of this run and
  // released its lock, its lock is unusable, or it is an old sidecar (files, no lock) that
  // spoke already. One not started yet, or whose lock is an earlier run's, has not ended.
  bool has_ended(SidecarView& s) {
    const auto probe = probe_lock(coord_.path(s.lock));
    switch (probe.liveness) {
      case Liveness::Alive:
        if (probe.stamped) s.seen_alive = true;
        return false;
      case Liveness::Gone:
        return of_this_run(s, probe);
      case Liveness::Unusable:
        return true;
      case Liveness::NotStarted:
        return coord_.is_raised(s.ready) || coord_.is_raised(s.failed);
    }
    return true;
  }

  // wrap_application.sh -s: stay a while after finishing, for debugging; a signal ends it.
  void linger(EventWaiter& waiter) {
    if (options_.linger.count() <= 0) return;
    spdlog::info("wrap: sleeping up to {} before exiting (-s)", format_duration(options_.linger));
    const auto deadline = Clock::now() + options_.linger;
    while (!waiter.terminated_by() && Clock::now() < deadline) {
      waiter.wait(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
    }
  }

  const WrapOptions& options_;
  CoordDir coord_;
  std::vector<SidecarView> sidecars_;
  timespec started_{};         // our lock's stamp
  std::string request_token_;  // content of this run's start_upload signals
};

}  // namespace

WrapOutcome run_wrapper(const WrapOptions& options) {
  if (options.coord.empty()) throw Error(ErrorKind::InvalidArgument, "wrap: --coord is required");
  if (options.command.empty()) throw Error(ErrorKind::InvalidArgument, "wrap: no application given after --");
  std::set<std::string> seen;
  for (const auto& db : options.databases) {
    if (db.empty() || db.find('/') != std::string::npos || db == "." || db == "..") {
      throw Error(ErrorKind::InvalidArgument, "wrap: --pg '" + db + "' is not a database name");
    }
    if (!seen.insert(db).second) throw Error(ErrorKind::InvalidArgument, "wrap: --pg '" + db + "' given twice");
  }
  Wrapper wrapper(options);
  return wrapper.run();
}

}  // namespace dm::sidecar
