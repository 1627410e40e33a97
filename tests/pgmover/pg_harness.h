// Test harness for pgmover: a file:// datamon context in a scratch folder, the datamon CLI
// bound to it, PostgreSQL programs run as the `postgres` OS user, and a guard that stops
// every server a test started, even when the test fails.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace dm::test::pg {

inline const std::string kBin = "/usr/lib/postgresql/15/bin";

// A scratch context (config, buckets) and a repo "pg", in a folder the postgres user can enter.
class Harness {
 public:
  Harness();
  const std::filesystem::path& root() const { return tmp_.path(); }
  std::filesystem::path dir(const std::string& name) const { return tmp_ / name; }
  // datamon --config file://... <args>
  RunResult dm(std::vector<std::string> args) const;
  // Runs a PostgreSQL program from `bindir` as the postgres user.
  static RunResult as_postgres(const std::string& program, const std::vector<std::string>& args,
                               const std::string& bindir = kBin);
  static std::string sql(int port, const std::string& query, const std::string& db = "postgres");
  static std::string dumpall(int port);

 private:
  TempDir tmp_;
};

// A TCP port on 127.0.0.1 that nothing listens on and whose /tmp socket is free, from
// 55432 up; a different one on each call (tests of other builds may run at the same time).
int free_port();

// Stops (fast) the server of `pgdata` when it goes out of scope, whatever happened.
class ServerGuard {
 public:
  explicit ServerGuard(std::filesystem::path pgdata) : pgdata_(std::move(pgdata)) {}
  ~ServerGuard();
  ServerGuard(const ServerGuard&) = delete;
  ServerGuard& operator=(const ServerGuard&) = delete;

 private:
  std::filesystem::path pgdata_;
};

// A failed assertion, with what was run and its output, unless `r` exited 0.
void expect_ok(const RunResult& r, const std::string& what);

// "key=value" pairs of a CLI output line.
std::map<std::string, std::string> fields(const std::string& output);
uint64_t number(const std::map<std::string, std::string>& f, const std::string& key);
// The bundle id of "Uploaded bundle id:<id>".
std::string bundle_id(const std::string& output);
// Every directory (relative, "" for the root) with its mode, every symlink with its target,
// every file with its mode; pgmover's own folder left out.
std::map<std::string, std::string> shape(const std::filesystem::path& pgdata);
std::string controldata_state(const std::filesystem::path& pgdata, const std::string& bindir = kBin);

// The Go pg sidecar's ways (hack/fuse-demo/wrap_datamon_pg.sh), for the migration tests.
// Gives `root` and everything below it to the postgres user.
void give_to_postgres(const std::filesystem::path& root);
// pg_ctl start of `bindir` as the Go sidecar runs it, on a Unix socket in /tmp only; the server
// log goes to `logs`, a folder of the postgres user (the scratch root is not).
void go_style_start(const std::filesystem::path& pgdata, int port, const std::filesystem::path& logs,
                    const std::string& bindir = kBin);
// A Go sidecar's cluster in `pgdata`: initdb of `bindir` (no checksums, user postgres), its
// pg_version file holding `go_version`, started (Go style) for `fill` to write into, then after
// VACUUM and CHECKPOINT stopped with `pg_ctl -m immediate` as the Go sidecar does, leaving it
// "in production", with a stale postmaster.pid. Returns the pg_dumpall taken before the stop.
std::string make_go_cluster(const Harness& h, const std::filesystem::path& pgdata, const std::string& go_version,
                            const std::string& bindir, const std::function<void(int port)>& fill);
// `datamon bundle upload` of the folder, as the Go sidecar commits; the bundle id.
std::string upload_as_go(const Harness& h, const std::filesystem::path& dir);

}  // namespace dm::test::pg
