// PgCtl: drives one PostgreSQL data directory with the installed server binaries: initdb,
// pg_ctl start/stop, pg_controldata, psql, and the checks around them (version, clean
// shutdown, readiness, ownership).
//
// Every program runs as the cluster's OS user (privilege drop when we are root). Errors are
// dm::Error with one line naming the data directory and what PostgreSQL said. Never uses
// `pg_ctl stop -m immediate`. Not thread-safe (one PgCtl per command).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "pgmover/run_as.h"

namespace dm::pgmover {

// Installed server binaries of one major version.
struct PgBinaries {
  std::filesystem::path bindir;
  int major = 0;
  std::string version;  // e.g. "15.18"
};

// `bindir` when given, else the highest /usr/lib/postgresql/<N>/bin that holds `postgres`.
PgBinaries find_binaries(const std::filesystem::path& bindir = {});
// /usr/lib/postgresql/<major>/bin when it holds a server, else nullopt.
std::optional<std::filesystem::path> installed_bindir(int major);

// The major version in a PG_VERSION text ("15\n" → 15, "9.6\n" → 9); InvalidArgument naming `what`.
int parse_major(const std::string& pg_version_text, const std::string& what);

// Same major: returns. Newer data, and older data (with or without its binaries installed,
// which the message says), are an error naming both versions and `what`. `old_bindir`: where
// older binaries would be looked for (empty: /usr/lib/postgresql/<major>/bin).
void check_version(int data_major, const PgBinaries& server, const std::string& what,
                   const std::filesystem::path& old_bindir = {});

// pid of a live postmaster that owns `pgdata` (from postmaster.pid), or nullopt.
std::optional<long> running_postmaster(const std::filesystem::path& pgdata);
// Throws InvalidArgument naming `pgdata` and the server's pid when one runs on it; `advice`
// (e.g. "stop it first") ends the message when not empty.
void require_no_server(const std::filesystem::path& pgdata, const std::string& advice);

// The last `count` non-empty lines of `text` (a program's output, a server log), joined with
// " | ": one line for an error.
std::string last_lines(const std::string& text, size_t count);

// The first line of a server log that says FATAL:, else the first that says PANIC:, from that
// word on; "" when there is none.
std::string first_server_failure(std::string_view log);

struct StartOptions {
  int port = 5432;
  std::string listen = "127.0.0.1";  // listen_addresses; "" for the Unix socket only
  std::filesystem::path socket_dir = "/tmp";
  int timeout_seconds = 300;  // for the server to be ready; 0: no limit
};

class PgCtl {
 public:
  PgCtl(const std::filesystem::path& pgdata, OsUser user, PgBinaries binaries);

  // initdb: UTF8, no locale, data checksums (unless told otherwise, for pg_upgrade's sake);
  // then the `owner` role as superuser if non-empty.
  void init(const std::string& owner, bool data_checksums = true);
  // What a start needs: no server runs on the directory (InvalidArgument otherwise), its
  // PG_VERSION is the binaries' major, and (when root) it is the server's user's, mode
  // 0700/0750. `start` and the pg sidecar's postmaster call it.
  void check_startable();
  // The Go pg sidecar's `pg_version` at the top of PGDATA (layout_manifest.h): the binaries'
  // version ("15.18") when they run the data's major, else the major. Written (owned by the
  // server's user) only when missing or different; init and every commit call it.
  void ensure_go_pg_version();
  // Ownership and the 0700/0750 rule fixed (when root), versions checked, pg_ctl start -w,
  // then ready only when a real query answers and recovery is over. A failure (the time limit
  // included) stops whatever server it started, and its message names the server log and
  // quotes the log's last lines.
  void start(const StartOptions& options);
  // pg_ctl stop -m fast -w, then pg_controldata must say "shut down"; a cluster left unclean
  // is started (Unix socket only) and stopped again, or the error says why.
  void stop();
  // Throws unless the cluster is cleanly shut down and no server runs (what commit needs);
  // returns pg_controldata's facts.
  std::map<std::string, std::string> require_clean_shutdown();

  std::map<std::string, std::string> controldata();
  // Recursively give the data directory to the server's user and make its mode 0700/0750.
  void fix_ownership();

  const std::filesystem::path& pgdata() const { return pgdata_; }
  const PgBinaries& binaries() const { return binaries_; }
  const OsUser& user() const { return user_; }

 private:
  RunOutput run(const std::string& program, std::vector<std::string> args, const std::string& input = {});
  void pg_ctl_start(const StartOptions& options);
  void wait_ready(const StartOptions& options);
  void pg_ctl_stop();
  std::filesystem::path log_file() const;
  // The server log from byte `offset` on ("" when it cannot be read: it only explains an error).
  std::string log_since(std::uintmax_t offset) const;

  std::filesystem::path pgdata_;
  OsUser user_;
  PgBinaries binaries_;
};

}  // namespace dm::pgmover
