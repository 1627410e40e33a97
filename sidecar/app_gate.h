// The middle of every sidecar's life: inputs are ready, the application runs, and the sidecar
// waits to learn whether to save its outputs.
//
// Save when the wrapper raises the sidecar's start signal (initupload, {db}/initdbupload: the
// old wrapper does this too). Discard when the new wrapper raises `appfailed`, or when the
// wrapper, once seen alive, is gone without a word. A termination signal throws Interrupted;
// an unhealthy input (the `health` probe returns a reason) or the time limit throws dm::Error.
#pragma once

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
      : Error(ErrorKind::Unavailable, "terminated by signal " + std::to_string(signal) + " " + during), signal_(signal) {}
  int signal() const { return signal_; }

 private:
  int signal_;
};

enum class AppVerdict { Save, Discard };

struct AppOutcome {
  AppVerdict verdict = AppVerdict::Save;
  std::string reason;  // why outputs are discarded
};

struct AppGate {
  const CoordDir& coord;
  std::string start_signal;  // initupload or {db}/initdbupload
  std::chrono::milliseconds timeout;
  std::function<std::optional<std::string>()> health;  // a reason when an input broke
  std::vector<int> wake_fds;                           // e.g. pidfds of the children behind the inputs
};

AppOutcome wait_for_app(EventWaiter& waiter, const AppGate& gate);

// Throws Interrupted when a termination signal has arrived.
void throw_if_interrupted(const EventWaiter& waiter, const std::string& during);

}  // namespace dm::sidecar
