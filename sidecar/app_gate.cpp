#include "sidecar/app_gate.h"

#include <spdlog/spdlog.h>

#include "sidecar/duration.h"
#include "sidecar/liveness_lock.h"

namespace dm::sidecar {

namespace {
// Bounds how late a dead wrapper or a dead input server is noticed.
constexpr std::chrono::milliseconds kProbePeriod{250};
}  // namespace

void throw_if_interrupted(const EventWaiter& waiter, const std::string& during) {
  if (auto sig = waiter.terminated_by()) throw Interrupted(*sig, during);
}

AppOutcome wait_for_app(EventWaiter& waiter, const AppGate& gate) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + gate.timeout;
  bool wrapper_seen = false;
  for (;;) {
    if (gate.coord.is_raised(gate.start_signal)) return {AppVerdict::Save, {}};
    if (auto reason = gate.coord.reason(signals::kAppFailed)) {
      return {AppVerdict::Discard, "the wrapper reported: " + *reason};
    }
    const auto wrapper = probe_liveness(gate.coord.path(signals::kWrapperLock));
    if (wrapper == Liveness::Alive) wrapper_seen = true;
    if (wrapper == Liveness::Gone && wrapper_seen) {
      if (gate.coord.is_raised(gate.start_signal)) return {AppVerdict::Save, {}};
      if (auto reason = gate.coord.reason(signals::kAppFailed)) {
        return {AppVerdict::Discard, "the wrapper reported: " + *reason};
      }
      return {AppVerdict::Discard, "the application wrapper exited without signalling"};
    }
    throw_if_interrupted(waiter, "while the application was running");
    if (gate.health) {
      if (auto broken = gate.health()) throw Error(ErrorKind::Unavailable, *broken);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      throw Error(ErrorKind::Unavailable, "timed out after " + format_duration(gate.timeout) +
                                              " waiting for the application (no '" + gate.start_signal + "' signal)");
    }
    waiter.wait(std::min(left, kProbePeriod), gate.wake_fds);
  }
}

}  // namespace dm::sidecar
