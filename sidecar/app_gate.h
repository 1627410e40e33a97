// The middle and the end of every sidecar's life: inputs are ready, the application runs, and
// the sidecar waits to learn whether to save its outputs; or it failed, and waits for the
// application wrapper to hear of it.
//
// Save when the wrapper raises the sidecar's start signal (initupload, {db}/initdbupload: the
// old wrapper does this too; a sidecar clears it when it starts, so one present is of this
// run). Discard when the wrapper of this run raises `appfailed`, or ends without a word. The
// wrapper of this run is the one seen holding its stamped liveness lock, or one stamped after
// the sidecar's own start; an `appfailed` older than both is an earlier run's and is ignored
// (a coordination folder may be reused). A termination signal throws Interrupted; an unhealthy
// input (the `health` probe returns a reason) or the time limit throws dm::Error.
#pragma once

#include <time.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/util/error.h"
#include "sidecar/event_waiter.h"
#include "sidecar/signal_files.h"

namespace dm::sidecar {

// A sidecar was told to stop (SIGTERM from Kubernetes, SIGINT) before it finished.
class Interrupted : public Error {
 public:
  Interrupted(int signal, const std::string& during)
      : Error(ErrorKind::Unavailable, "terminated by signal " + std::to_string(signal) + " " + during),
        signal_(signal) {}
  int signal() const { return signal_; }

 private:
  int signal_;
};

enum class AppVerdict { Save, Discard };

struct AppOutcome {
  AppVerdict verdict = AppVerdict::Save;
  std::string reason;   // why outputs are discarded
  std::string request;  // the start signal's content (the wrapper's token): echo it in the answer
};

// What a sidecar knows of the application wrapper of its run (wrapper.lock, appfailed).
class WrapperWatch {
 public:
  WrapperWatch(const CoordDir& coord, timespec sidecar_started) : coord_(coord), sidecar_started_(sidecar_started) {}
  void update();  // probes the wrapper's lock again
  // The reason in `appfailed` when the wrapper of this run raised it.
  std::optional<std::string> app_failed() const;
  // The wrapper of this run has ended (its lock released).
  bool ended() const { return ended_; }

 private:
  const CoordDir& coord_;
  timespec sidecar_started_;
  bool seen_ = false;  // a wrapper of this run was seen (alive, or stamped after our start)
  timespec wrapper_started_{};
  bool ended_ = false;
};

struct AppGate {
  const CoordDir& coord;
  timespec sidecar_started;  // our liveness lock's stamp
  std::string start_signal;  // initupload or {db}/initdbupload
  std::chrono::milliseconds timeout;
  std::function<std::optional<std::string>()> health;  // a reason when an input broke
  std::vector<int> wake_fds;                           // e.g. pidfds of the children behind the inputs
};

AppOutcome wait_for_app(EventWaiter& waiter, const AppGate& gate);

// The reason in `appfailed` when the wrapper of this run has already raised it: a sidecar that
// starts late (its image pulled last, say) then has nothing to prepare, restore or mount.
std::optional<std::string> app_already_failed(const CoordDir& coord, timespec sidecar_started);

// After a failure was signalled: waits until the wrapper of this run has heard of it (it raised
// `appfailed`, or ended), a termination signal arrives, or `limit` passes. Until then the
// sidecar keeps its liveness lock, so that a wrapper starting late still sees a live sidecar
// of its run and believes the failure signal (rather than taking it for an earlier run's).
void wait_for_failure_heard(EventWaiter& waiter, const CoordDir& coord, timespec sidecar_started,
                            std::chrono::milliseconds limit);

// Throws Interrupted when a termination signal has arrived.
void throw_if_interrupted(const EventWaiter& waiter, const std::string& during);

}  // namespace dm::sidecar
