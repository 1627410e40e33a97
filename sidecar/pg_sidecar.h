// `datamon sidecar pg`: restores the database from a bundle (or initialises a fresh one), starts
// it, raises {db}/dbstarted, waits for the application (app_gate.h), stops it cleanly, commits
// it as a new bundle when a destination is set, and raises {db}/dbuploaddone. Without a
// destination the database is thrown away: nothing is saved. A destination repo that does not
// exist fails the sidecar before anything else (destination_repos.h).
//
// Restore, init, the clean-stop check and commit are `datamon pg ...` child processes (the pg
// mover's CLI contract). The server itself is the sidecar's own child (postmaster.h), so it
// shuts down (fast) when the sidecar dies, even by SIGKILL. Any failure raises {db}/dbfailed
// with a one-line reason, after stopping a started server, and keeps the sidecar alive until
// the wrapper heard of it (app_gate.h); a SIGTERM stops the server and signals failure unless
// the work was finished.
#pragma once

#include <string>
#include <vector>

#include "common/config/config.h"
#include "sidecar/pg_config.h"

namespace dm::sidecar {

struct PgSidecarRun {
  PgSidecarConfig config;
  config::Config datamon;                    // store access, to check the destination repo
  std::vector<std::string> datamon_command;  // the datamon binary and its global flags
};

// The process exit code, as run_fuse_sidecar's.
int run_pg_sidecar(const PgSidecarRun& run);

}  // namespace dm::sidecar
