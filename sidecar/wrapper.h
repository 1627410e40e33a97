// `datamon wrap`: the application side of the pod protocol (format spec §9.3, issue 5).
//
// States: WaitingForSidecars (every declared sidecar raises its ready signal) → RunningApp
// (SIGTERM/SIGINT/SIGHUP forwarded to the app's process group, SIGKILL after `grace`; when
// the app exits, whatever it left running, in its group or re-parented to the wrapper as a
// subreaper, is killed; if the wrapper itself is SIGKILLed, a guard process ends the app's
// group) → WaitingForOutputs (only if the app
// exited 0: initupload / {db}/initdbupload raised with a fresh random token, then uploaddone /
// {db}/dbuploaddone awaited; a sidecar with a liveness lock must echo the token in it, so one
// planted by the app is not believed)
// → Done. From any state, a sidecar's failure signal, its death (its liveness lock released
// without a final signal), a timeout or an app failure leads to Aborting: the app is stopped
// (SIGTERM, SIGKILL after the grace period), `appfailed` is raised with the reason so that
// every sidecar ends without saving, and the wrapper waits until every declared sidecar has
// started and ended (one that starts late must find the wrapper alive to believe `appfailed`).
// Every wait is bounded by `timeout`, except the application's own run time; a sidecar
// that is alive and moving data (its progress signal changes, progress_beacon.h) is waited
// for until `timeout` after its last progress, so a long transfer is not cut short.
//
// A reused coordination folder: the wrapper clears its own earlier signals before stamping
// its lock, and ignores a sidecar's files until they are of this run (see of_this_run in
// wrapper.cpp and liveness_lock.h), so an earlier run's files neither start the app early nor
// fail the run.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace dm::sidecar {

struct WrapOptions {
  std::filesystem::path coord;
  bool fuse = false;
  std::vector<std::string> databases;                                 // pg sidecars, by database.name
  std::chrono::milliseconds timeout = std::chrono::minutes(30);       // each wait on the sidecars
  std::chrono::milliseconds grace = std::chrono::seconds(10);         // SIGTERM → SIGKILL for the app
  std::chrono::milliseconds poll_interval = std::chrono::seconds(1);  // fallback without inotify
  std::chrono::milliseconds linger{0};  // after success, stay this long (wrap_application.sh -s)
  std::vector<std::string> command;     // the application and its arguments
};

struct WrapOutcome {
  int exit_code = 0;  // the app's own code when it failed; 1 for a sidecar failure or timeout
  std::string error;  // empty on success; one line naming the sidecar or the app otherwise
};

// Validates the options (InvalidArgument), then runs the whole protocol.
WrapOutcome run_wrapper(const WrapOptions& options);

}  // namespace dm::sidecar
