// Real PostgreSQL 15, driven through `datamon pg`, run as root with the privilege drop to
// the postgres user: commit, restore elsewhere, start, and compare.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "pgmover/exclusions.h"
#include "pgmover/pg_harness.h"

namespace fs = std::filesystem;

namespace dm::test::pg {
namespace {

// init + start + pgbench -i: a cluster with data, running on `port`.
void make_cluster(const Harness& h, const fs::path& pgdata, int port, int scale) {
  expect_ok(h.dm({"pg", "init", "--pgdata", pgdata.string(), "--owner", "app"}), "pg init");
  expect_ok(h.dm({"pg", "start", "--pgdata", pgdata.string(), "--port", std::to_string(port)}), "pg start");
  expect_ok(Harness::as_postgres("pgbench", {"-h", "/tmp", "-p", std::to_string(port), "-U", "postgres", "-i", "-s",
                                             std::to_string(scale), "-q", "postgres"}),
            "pgbench -i");
}

// The entries in which two shapes differ, one per line; empty when equal.
std::string shape_difference(const std::map<std::string, std::string>& got,
                             const std::map<std::string, std::string>& want) {
  std::string diff;
  for (const auto& [k, v] : want) {
    auto it = got.find(k);
    if (it == got.end())
      diff += "missing " + k + " (" + v + ")\n";
    else if (it->second != v)
      diff += k + ": " + it->second + " instead of " + v + "\n";
  }
  for (const auto& [k, v] : got)
    if (!want.count(k)) diff += "extra " + k + " (" + v + ")\n";
  return diff;
}

// Dumps are compared whole; on a mismatch both are kept for a look (gtest's diff of two
// large strings would need far too much memory).
void expect_same_dump(const std::string& got, const std::string& want, const std::string& name) {
  if (got == want) return;
  write_file("/tmp/pgmover-" + name + ".got.sql", got);
  write_file("/tmp/pgmover-" + name + ".want.sql", want);
  ADD_FAILURE() << "pg_dumpall differs; see /tmp/pgmover-" << name << ".{got,want}.sql";
}

std::string commit(const Harness& h, const fs::path& pgdata, const std::string& message, RunResult* out = nullptr) {
  auto r = h.dm({"pg", "commit", "--pgdata", pgdata.string(), "--repo", "pg", "--message", message});
  if (out) *out = r;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return bundle_id(r.out);
}

TEST(PgMover, CommitRestoreElsewhereStartsWithoutRecoveryAndMatches) {
  const int kPortRoundTrip = free_port();
  const int kPortRoundTripCopy = free_port();
  Harness h;
  const auto a = h.dir("a"), b = h.dir("b");
  ServerGuard guard_a(a), guard_b(b);
  make_cluster(h, a, kPortRoundTrip, 1);
  Harness::sql(kPortRoundTrip, "CREATE UNLOGGED TABLE kept_unlogged AS SELECT g AS id FROM generate_series(1, 500) g");
  const auto dump = Harness::dumpall(kPortRoundTrip);
  expect_ok(h.dm({"pg", "stop", "--pgdata", a.string()}), "pg stop");
  ASSERT_EQ(controldata_state(a), "shut down");
  // Shape that must survive: an empty directory with its own mode, a group-readable file, a symlink.
  fs::create_directory(a / "extra_empty");
  ASSERT_EQ(::chmod((a / "extra_empty").c_str(), 0750), 0) << std::strerror(errno);
  ASSERT_EQ(::chmod((a / "postgresql.conf").c_str(), 0640), 0) << std::strerror(errno);
  fs::create_symlink("postgresql.conf", a / "conf-link");
  ASSERT_EQ(::lchown((a / "conf-link").c_str(), 0, 0), 0) << std::strerror(errno);
  write_file(a / "postmaster.opts", "left behind");  // excluded by PostgreSQL's list

  RunResult committed;
  const auto id = commit(h, a, "first", &committed);
  ASSERT_FALSE(id.empty()) << committed.out;
  EXPECT_EQ(fields(committed.out)["parent"], "none");

  const auto listing = h.dm({"bundle", "list", "files", "--repo", "pg", "--bundle", id});
  expect_ok(listing, "bundle list files");
  EXPECT_NE(listing.out.find("name:.datamon-pg/layout.json,"), std::string::npos);
  EXPECT_NE(listing.out.find("name:global/pg_control,"), std::string::npos);
  EXPECT_EQ(listing.out.find("postmaster.opts"), std::string::npos);
  EXPECT_EQ(listing.out.find("pg_stat_tmp/"), std::string::npos);

  const auto restored = h.dm({"pg", "restore", "--pgdata", b.string(), "--repo", "pg", "--bundle", id});
  expect_ok(restored, "pg restore");
  EXPECT_EQ(number(fields(restored.out), "kept"), 0U);

  auto want = shape(a);
  for (auto it = want.begin(); it != want.end();) {  // PostgreSQL's exclusion list
    if (pgmover::is_excluded(it->first))
      it = want.erase(it);
    else
      ++it;
  }
  for (auto it = want.begin(); it != want.end();) {  // recycled WAL segments are left out
    if (it->first.starts_with("pg_wal/0") && !fs::exists(b / it->first))
      it = want.erase(it);
    else
      ++it;
  }
  // `pg init` wrote Go's pg_version ("15.<minor>"); it travels like any file.
  EXPECT_EQ(read_file(b / "pg_version").substr(0, 3), "15.");
  EXPECT_EQ(shape_difference(shape(b), want), "");
  EXPECT_EQ(controldata_state(b), "shut down");
  struct stat st {};
  ASSERT_EQ(::stat((b / "PG_VERSION").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::getpwnam("postgres")->pw_uid);

  expect_ok(h.dm({"pg", "start", "--pgdata", b.string(), "--port", std::to_string(kPortRoundTripCopy)}), "start copy");
  expect_same_dump(Harness::dumpall(kPortRoundTripCopy), dump, "kPortRoundTripCopy");
  EXPECT_EQ(Harness::sql(kPortRoundTripCopy, "SELECT count(*) FROM kept_unlogged"), "500\n");
  const auto amcheck =
      Harness::as_postgres("pg_amcheck", {"-h", "/tmp", "-p", std::to_string(kPortRoundTripCopy), "-U", "postgres",
                                          "--all", "--install-missing", "--heapallindexed"});
  EXPECT_EQ(amcheck.exit_code, 0) << amcheck.out << amcheck.err;
  const auto log = read_file(b / ".datamon-pg" / "server.log");
  EXPECT_EQ(log.find("redo starts"), std::string::npos) << log;
  EXPECT_EQ(log.find("not properly shut down"), std::string::npos) << log;
  expect_ok(h.dm({"pg", "stop", "--pgdata", b.string()}), "stop copy");
}

TEST(PgMover, DeltaCommitUploadsAndRestoreRewritesOnlyWhatChanged) {
  const int kPortDelta = free_port();
  const int kPortDeltaCopy = free_port();
  Harness h;
  const auto a = h.dir("a"), b = h.dir("b");
  ServerGuard guard_a(a), guard_b(b);
  make_cluster(h, a, kPortDelta, 5);
  expect_ok(h.dm({"pg", "stop", "--pgdata", a.string()}), "stop");
  RunResult first;
  const auto v1 = commit(h, a, "v1", &first);
  EXPECT_EQ(number(fields(first.out), "trusted_files"), 0U) << "no parent: every file is hashed";
  expect_ok(h.dm({"pg", "restore", "--pgdata", b.string(), "--repo", "pg", "--bundle", v1}), "restore v1");

  // An unchanged cluster: the commit reads no file the record vouches for and asks nothing
  // about the parent's leaves.
  RunResult same;
  const auto v1b = commit(h, a, "unchanged", &same);
  auto f = fields(same.out);
  EXPECT_EQ(f["parent"], v1);
  EXPECT_LE(number(f, "leaves_stored"), 1U) << same.out;  // the layout manifest names a new parent
  // Every file but the layout manifest is taken by the record's key.
  EXPECT_EQ(number(f, "trusted_files") + 1, number(f, "files")) << same.out;
  EXPECT_GT(number(f, "known_leaves"), 0U);
  // And the record is renewed: the next commit trusts them too.
  RunResult same_again;
  const auto v1c = commit(h, a, "unchanged again", &same_again);
  EXPECT_EQ(fields(same_again.out)["parent"], v1b);
  EXPECT_EQ(number(fields(same_again.out), "trusted_files") + 1, number(fields(same_again.out), "files"))
      << same_again.out;

  // 1% of the rows in one contiguous range.
  expect_ok(h.dm({"pg", "start", "--pgdata", a.string(), "--port", std::to_string(kPortDelta)}), "start");
  Harness::sql(kPortDelta, "UPDATE pgbench_accounts SET abalance = abalance + 7 WHERE aid <= 5000");
  const auto dump = Harness::dumpall(kPortDelta);
  expect_ok(h.dm({"pg", "stop", "--pgdata", a.string()}), "stop");
  RunResult delta;
  const auto v2 = commit(h, a, "v2", &delta);
  f = fields(delta.out);
  EXPECT_EQ(f["parent"], v1c);
  const auto leaves = number(f, "leaves"), stored = number(f, "leaves_stored");
  std::cout << "delta commit: " << delta.out;
  EXPECT_GT(stored, 0U);
  EXPECT_LT(stored * 10, leaves) << "more than 10% of the leaves were uploaded: " << delta.out;
  EXPECT_GT(number(f, "trusted_files"), 0U) << "files the server did not touch need no hashing";

  // b still holds v1 (restored, never started): the record vouches for every file, and of
  // the changed ones only the leaves that differ are fetched and written, in place.
  const auto restored = h.dm({"pg", "restore", "--pgdata", b.string(), "--repo", "pg", "--bundle", v2});
  expect_ok(restored, "restore v2 over v1");
  std::cout << "delta restore: " << restored.out;
  const auto r = fields(restored.out);
  const auto written = number(r, "written"), kept = number(r, "kept");
  EXPECT_GT(written, 0U);
  EXPECT_LT(written * 20, written + kept) << "more than 5% of the files were rewritten: " << restored.out;
  EXPECT_EQ(number(r, "hashed"), 0U) << "the local record should vouch for untouched files";
  EXPECT_GT(number(r, "patched"), 0U) << "a changed relation should be patched, not rewritten: " << restored.out;
  EXPECT_LT(number(r, "leaves_fetched"), number(r, "leaves_total")) << restored.out;
  EXPECT_LT(number(r, "leaves_fetched") * 4, leaves) << "more than a quarter of the leaves were fetched";
  EXPECT_LT(number(r, "bytes_written") * 4, number(f, "bytes")) << "more than a quarter of the bytes were written";

  expect_ok(h.dm({"pg", "start", "--pgdata", b.string(), "--port", std::to_string(kPortDeltaCopy)}), "start copy");
  expect_same_dump(Harness::dumpall(kPortDeltaCopy), dump, "kPortDeltaCopy");
  expect_ok(h.dm({"pg", "stop", "--pgdata", b.string()}), "stop copy");

  // What the server's start and stop touched (how many depends on autovacuum's timing): the
  // files a commit of b cannot take by the record's key, the layout manifest aside.
  RunResult touched_commit;
  commit(h, b, "after a start and stop", &touched_commit);
  const auto tc = fields(touched_commit.out);
  const auto touched = number(tc, "files") - number(tc, "trusted_files") - 1;
  EXPECT_LE(touched * 20, number(tc, "files")) << touched_commit.out;
  // The same restore again: nothing to do but pg_control (always) and what the server touched.
  const auto again = fields(h.dm({"pg", "restore", "--pgdata", b.string(), "--repo", "pg", "--bundle", v2}).out);
  EXPECT_LE(number(again, "written"), 1U + touched);
  EXPECT_EQ(number(again, "hashed"), 0U);

  // The patched cluster passes pg_amcheck (which installs amcheck, so it runs last).
  expect_ok(h.dm({"pg", "start", "--pgdata", b.string(), "--port", std::to_string(kPortDeltaCopy)}), "start copy");
  const auto amcheck =
      Harness::as_postgres("pg_amcheck", {"-h", "/tmp", "-p", std::to_string(kPortDeltaCopy), "-U", "postgres", "--all",
                                          "--install-missing", "--heapallindexed"});
  EXPECT_EQ(amcheck.exit_code, 0) << amcheck.out << amcheck.err;
  expect_ok(h.dm({"pg", "stop", "--pgdata", b.string()}), "stop copy");
}

TEST(PgMover, CommitHashesAFileRewrittenInPlaceEvenWithItsOldMtime) {
  const int kPortSneaky = free_port();
  Harness h;
  const auto a = h.dir("a"), b = h.dir("b");
  ServerGuard guard(a);
  make_cluster(h, a, kPortSneaky, 1);
  expect_ok(h.dm({"pg", "stop", "--pgdata", a.string()}), "stop");
  commit(h, a, "v1");

  // Same size, same mtime, other content: only ctime (and the inode's change) can tell.
  const auto conf = a / "postgresql.conf";
  auto text = read_file(conf);
  const auto at = text.find("# - Connection Settings -");
  ASSERT_NE(at, std::string::npos);
  text[at + 2] = 'c';
  struct stat before {};
  ASSERT_EQ(::stat(conf.c_str(), &before), 0);
  {
    const int fd = ::open(conf.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, text.data(), text.size(), 0), static_cast<ssize_t>(text.size()));
    ::close(fd);
  }
  const timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, conf.c_str(), times, 0), 0);

  RunResult out;
  const auto v2 = commit(h, a, "v2", &out);
  EXPECT_GE(number(fields(out.out), "leaves_stored"), 2U) << out.out;  // the file's leaf and the manifest
  expect_ok(h.dm({"pg", "restore", "--pgdata", b.string(), "--repo", "pg", "--bundle", v2}), "restore v2");
  EXPECT_EQ(read_file(b / "postgresql.conf"), text);
}

TEST(PgMover, RefusesARunningServerAndUncleanCommits) {
  const int kPortRunning = free_port();
  Harness h;
  const auto a = h.dir("a");
  ServerGuard guard(a);
  make_cluster(h, a, kPortRunning, 1);
  expect_ok(h.dm({"pg", "stop", "--pgdata", a.string()}), "stop");
  const auto id = commit(h, a, "base");
  expect_ok(h.dm({"pg", "start", "--pgdata", a.string(), "--port", std::to_string(kPortRunning)}), "start");

  const auto restore = h.dm({"pg", "restore", "--pgdata", a.string(), "--repo", "pg", "--bundle", id});
  EXPECT_EQ(restore.exit_code, 1);
  EXPECT_NE(restore.err.find("server is running on '" + a.string() + "'"), std::string::npos) << restore.err;
  const auto c = h.dm({"pg", "commit", "--pgdata", a.string(), "--repo", "pg", "--message", "m"});
  EXPECT_EQ(c.exit_code, 1);
  EXPECT_NE(c.err.find("server is running"), std::string::npos) << c.err;
  EXPECT_EQ(Harness::sql(kPortRunning, "SELECT count(*) FROM pgbench_branches"), "1\n");  // untouched

  // A folder that is not a data directory is never emptied.
  const auto other = h.dir("not-pg");
  write_file(other / "precious.txt", "keep me");
  const auto r = h.dm({"pg", "restore", "--pgdata", other.string(), "--repo", "pg", "--bundle", id});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not a PostgreSQL data directory"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(other / "precious.txt"), "keep me");
}

// `pg start --timeout 0` used to hand pg_ctl `-t 0`, which does not wait at all: the start
// was reported failed while the postmaster it launched went on. 0 now means no limit.
TEST(PgMover, StartWithTimeoutZeroWaitsWithoutLimit) {
  const int port = free_port();
  Harness h;
  const auto a = h.dir("a");
  ServerGuard guard(a);
  expect_ok(h.dm({"pg", "init", "--pgdata", a.string()}), "init");
  expect_ok(h.dm({"pg", "start", "--pgdata", a.string(), "--port", std::to_string(port), "--timeout", "0"}),
            "start --timeout 0");
  EXPECT_EQ(Harness::sql(port, "SELECT 1"), "1\n");
  expect_ok(h.dm({"pg", "stop", "--pgdata", a.string()}), "stop");
}

// A start that fails says why and where the server log is (with its last lines), and leaves
// no server running.
TEST(PgMover, AStartThatFailsNamesTheLogAndLeavesNoServer) {
  const int port = free_port();
  Harness h;
  const auto a = h.dir("a");
  ServerGuard guard(a);
  expect_ok(h.dm({"pg", "init", "--pgdata", a.string()}), "init");
  // The port is taken: the postmaster cannot bind it.
  const int taken = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(taken, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(taken, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(taken, 1), 0);
  const auto r = h.dm({"pg", "start", "--pgdata", a.string(), "--port", std::to_string(port), "--timeout", "60"});
  ::close(taken);
  ASSERT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("could not"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("server log '" + (a / ".datamon-pg" / "server.log").string() + "', last lines: "),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(a / "postmaster.pid")) << "a postmaster was left after the failure";
}

TEST(PgMover, RestoreKilledHalfWayCannotStartAndARerunEndsCorrect) {
  const int kPortKill = free_port();
  const int kPortKillCopy = free_port();
  Harness h;
  const auto a = h.dir("a"), c = h.dir("c");
  ServerGuard guard_a(a), guard_c(c);
  make_cluster(h, a, kPortKill, 5);
  const auto dump = Harness::dumpall(kPortKill);
  expect_ok(h.dm({"pg", "stop", "--pgdata", a.string()}), "stop");
  const auto id = commit(h, a, "big");

  auto restore = spawn({DATAMON_BIN, "--config=file://" + (h.root() / "config").string(), "pg", "restore", "--pgdata",
                        c.string(), "--repo", "pg", "--bundle", id, "--concurrency", "1"});
  // Kill it once the first data files have landed (bounded wait).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(c / "base") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  restore.signal(SIGKILL);
  ASSERT_EQ(restore.wait().signal, SIGKILL) << "the restore finished before it could be killed";
  EXPECT_FALSE(fs::exists(c / "global" / "pg_control")) << "a half-restored directory must not be startable";
  const auto start =
      h.dm({"pg", "start", "--pgdata", c.string(), "--port", std::to_string(kPortKillCopy), "--timeout", "20"});
  EXPECT_NE(start.exit_code, 0);

  const auto rerun = h.dm({"pg", "restore", "--pgdata", c.string(), "--repo", "pg", "--bundle", id});
  expect_ok(rerun, "restore again");
  expect_ok(h.dm({"pg", "start", "--pgdata", c.string(), "--port", std::to_string(kPortKillCopy)}), "start");
  expect_same_dump(Harness::dumpall(kPortKillCopy), dump, "kPortKillCopy");
  expect_ok(h.dm({"pg", "stop", "--pgdata", c.string()}), "stop");
}

TEST(PgMover, DeltaRestoreKilledInPlaceCannotStartAndARerunEndsCorrect) {
  const int kPortInPlace = free_port();
  const int kPortInPlaceCopy = free_port();
  Harness h;
  const auto a = h.dir("a"), c = h.dir("c");
  ServerGuard guard_a(a), guard_c(c);
  make_cluster(h, a, kPortInPlace, 5);
  expect_ok(h.dm({"pg", "stop", "--pgdata", a.string()}), "stop");
  const auto v1 = commit(h, a, "v1");
  expect_ok(h.dm({"pg", "restore", "--pgdata", c.string(), "--repo", "pg", "--bundle", v1}), "restore v1");
  expect_ok(h.dm({"pg", "start", "--pgdata", a.string(), "--port", std::to_string(kPortInPlace)}), "start");
  Harness::sql(kPortInPlace, "UPDATE pgbench_accounts SET abalance = abalance - 3 WHERE aid % 10 = 0");
  const auto dump = Harness::dumpall(kPortInPlace);
  expect_ok(h.dm({"pg", "stop", "--pgdata", a.string()}), "stop");
  const auto v2 = commit(h, a, "v2");

  auto restore = spawn({DATAMON_BIN, "--config=file://" + (h.root() / "config").string(), "pg", "restore", "--pgdata",
                        c.string(), "--repo", "pg", "--bundle", v2, "--concurrency", "1"});
  // Kill it once it has taken pg_control away, i.e. while it patches files in place (bounded wait).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (fs::exists(c / "global" / "pg_control") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  restore.signal(SIGKILL);
  ASSERT_EQ(restore.wait().signal, SIGKILL) << "the restore finished before it could be killed";
  EXPECT_FALSE(fs::exists(c / "global" / "pg_control")) << "a half-patched directory must not be startable";
  const auto start =
      h.dm({"pg", "start", "--pgdata", c.string(), "--port", std::to_string(kPortInPlaceCopy), "--timeout", "20"});
  EXPECT_NE(start.exit_code, 0);

  const auto rerun = h.dm({"pg", "restore", "--pgdata", c.string(), "--repo", "pg", "--bundle", v2});
  expect_ok(rerun, "restore again");
  std::cout << "rerun: " << rerun.out;
  expect_ok(h.dm({"pg", "start", "--pgdata", c.string(), "--port", std::to_string(kPortInPlaceCopy)}), "start");
  expect_same_dump(Harness::dumpall(kPortInPlaceCopy), dump, "kPortInPlaceCopy");
  expect_ok(h.dm({"pg", "stop", "--pgdata", c.string()}), "stop");
}

TEST(PgMover, StopAfterACrashRecoversAndShutsDownCleanly) {
  const int kPortCrash = free_port();
  Harness h;
  const auto a = h.dir("a");
  ServerGuard guard(a);
  make_cluster(h, a, kPortCrash, 1);
  Harness::sql(kPortCrash, "CREATE TABLE after_crash AS SELECT 1 AS one");
  const long pid = std::stol(read_file(a / "postmaster.pid"));
  ASSERT_EQ(::kill(static_cast<pid_t>(pid), SIGKILL), 0);
  for (int i = 0; i < 500 && ::kill(static_cast<pid_t>(pid), 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Let the orphaned backends notice the postmaster is gone.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(controldata_state(a), "in production");
  const auto c = h.dm({"pg", "commit", "--pgdata", a.string(), "--repo", "pg", "--message", "m"});
  EXPECT_EQ(c.exit_code, 1);
  EXPECT_NE(c.err.find("not shut down cleanly"), std::string::npos) << c.err;
  expect_ok(h.dm({"pg", "stop", "--pgdata", a.string()}), "stop after crash");
  EXPECT_EQ(controldata_state(a), "shut down");
  EXPECT_FALSE(commit(h, a, "after recovery").empty());
}

}  // namespace
}  // namespace dm::test::pg
