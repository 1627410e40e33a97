#include "sidecar/app_gate.h"

#include <spdlog/spdlog.h>

#include "sidecar/duration.h"
#include "sidecar/liveness_lock.h"

namespace dm::sidecar {

namespace {
// Bounds how late a dead wrapper or a dead input server is noticed.
constexpr std::chrono::milliseconds kProbePeriod{250};
}  // namespace

void WrapperWatch::update() {
  const auto probe = probe_lock(coord_.path(signals::kWrapperLock));
  // Not started, still clearing what an earlier run left, or not a lock at all (a planted
  // symlink or FIFO: nothing a wrapper of this run made).
  if (!probe.stamped || probe.liveness == Liveness::Unusable) return;
  if (probe.liveness == Liveness::Alive || at_or_after(probe.stamped_at, sidecar_started_)) {
    seen_ = true;
    wrapper_started_ = probe.stamped_at;
  }
  ended_ = seen_ && probe.liveness == Liveness::Gone;
}

std::optional<std::string> WrapperWatch::app_failed() const {
  const auto at = coord_.raised_at(signals::kAppFailed);
  if (!at) return std::nullopt;
  if (!at_or_after(*at, sidecar_started_) && !(seen_ && at_or_after(*at, wrapper_started_))) return std::nullopt;
  return coord_.reason(signals::kAppFailed);
}

std::optional<std::string> app_already_failed(const CoordDir& coord, timespec sidecar_started) {
  WrapperWatch wrapper(coord, sidecar_started);
  wrapper.update();
  return wrapper.app_failed();
}

void throw_if_interrupted(const EventWaiter& waiter, const std::string& during) {
  if (auto sig = waiter.terminated_by()) throw Interrupted(*sig, during);
}

AppOutcome wait_for_app(EventWaiter& waiter, const AppGate& gate) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + gate.timeout;
  WrapperWatch wrapper(gate.coord, gate.sidecar_started);
  for (;;) {
    if (auto request = gate.coord.reason(gate.start_signal)) return {AppVerdict::Save, {}, *request};
    wrapper.update();
    if (auto reason = wrapper.app_failed()) return {AppVerdict::Discard, "the wrapper reported: " + *reason, {}};
    if (wrapper.ended()) {
      // It may have signalled and exited between our two looks.
      if (auto request = gate.coord.reason(gate.start_signal)) return {AppVerdict::Save, {}, *request};
      if (auto reason = wrapper.app_failed()) return {AppVerdict::Discard, "the wrapper reported: " + *reason, {}};
      return {AppVerdict::Discard, "the application wrapper exited without signalling", {}};
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

void wait_for_failure_heard(EventWaiter& waiter, const CoordDir& coord, timespec sidecar_started,
                            std::chrono::milliseconds limit) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + limit;
  WrapperWatch wrapper(coord, sidecar_started);
  bool told = false;
  for (;;) {
    wrapper.update();
    if (wrapper.app_failed() || wrapper.ended() || waiter.terminated_by()) return;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      spdlog::warn("no application wrapper heard of the failure within {}", format_duration(limit));
      return;
    }
    if (!told) {
      spdlog::info("waiting (up to {}) for the application wrapper to hear of the failure", format_duration(limit));
      told = true;
    }
    waiter.wait(std::min(left, kProbePeriod));
  }
}

}  // namespace dm::sidecar
