// The pg sidecar's PostgreSQL server, run as the sidecar's own child (`postgres -D ...`) rather
// than daemonized by pg_ctl, so that no server outlives its sidecar: the kernel sends it SIGINT,
// PostgreSQL's fast shutdown, when the sidecar dies, even by SIGKILL (PR_SET_PDEATHSIG).
//
// Before starting it does what `datamon pg start` does (no server already running, PG_VERSION
// against the binaries, ownership and modes given to the server's user when we are root); its
// output goes to ours prefixed with its label. Construct it on the main thread (the death
// signal fires when the forking thread ends). The destructor stops a running server (fast
// shutdown, then immediate, then SIGKILL). Errors are dm::Error naming the data directory.
// Not thread-safe.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "sidecar/child_process.h"

namespace dm::sidecar {

struct PostmasterOptions {
  std::filesystem::path pgdata;
  std::string port;
  std::string listen = "127.0.0.1";  // listen_addresses; "" for the Unix socket only
  std::filesystem::path socket_dir = "/tmp";
  std::string run_as;  // when we are root; empty: postgres
  std::string label;   // names the server in logs
};

class Postmaster {
 public:
  explicit Postmaster(const PostmasterOptions& options);  // checks, then starts it; does not wait
  ~Postmaster();
  Postmaster(const Postmaster&) = delete;
  Postmaster& operator=(const Postmaster&) = delete;

  pid_t pid() const { return server_->pid(); }
  int exit_fd() const { return server_->exit_fd(); }
  // Its exit code once it has exited.
  std::optional<int> exited() { return server_->poll_exit(); }
  // One attempt: true when a query answers and recovery is over.
  bool ready();
  // Why it exited or failed: its first FATAL/PANIC line, else its last line and status.
  std::string failure_reason();
  // Fast shutdown (SIGINT) and a wait of at most `limit`; then immediate (SIGQUIT) and SIGKILL.
  // Returns its exit code (0 after a clean shutdown). Callers then check pg_controldata.
  int shut_down(std::chrono::milliseconds limit);

 private:
  PostmasterOptions options_;
  std::filesystem::path psql_;
  std::string user_name_;
  std::unique_ptr<ChildProcess> server_;
};

}  // namespace dm::sidecar
