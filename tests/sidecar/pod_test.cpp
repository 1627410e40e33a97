// The end-to-end pod on one machine (issue 5): a fuse sidecar with two inputs and one output,
// two pg sidecars (one restored from a bundle, one created fresh) and a wrapped application,
// all real `datamon` processes sharing a coordination folder, with real FUSE mounts and real
// PostgreSQL servers (run as the `postgres` user). Then the failure cases: an unknown label,
// an application that exits 3, a database that cannot start, a sidecar killed half-way.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "common/util/fuse_mounts.h"
#include "pod_support.h"
#include "sidecar/signal_files.h"

namespace dm::sidecar {
namespace {

using namespace std::chrono_literals;
using podtest::start_datamon;
using podtest::wait_for_file;
using ::testing::HasSubstr;

// A TCP port nobody listens on right now (the kernel picks it).
std::string free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return std::to_string(ntohs(addr.sin_port));
}

std::string psql(const std::string& port, const std::string& sql) {
  auto r = test::run({"/usr/bin/psql", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", "postgres", "-v",
                      "ON_ERROR_STOP=1", "-A", "-t", "-c", sql});
  if (r.exit_code != 0) throw std::runtime_error("psql failed: " + r.err);
  return r.out;
}

bool postgres_running_in(const std::filesystem::path& pgdata) {
  std::ifstream in(pgdata / "postmaster.pid");
  long pid = 0;
  return (in >> pid) && pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0;
}

class PodTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The pg mover's children run as `postgres` and must reach the data folders.
    std::filesystem::permissions(dir.path(), std::filesystem::perms::all & ~std::filesystem::perms::others_write &
                                                 ~std::filesystem::perms::group_write);
    for (const char* repo : {"inputs", "pgdata", "results"}) store.create_repo(repo);
    upload_input("in1", "v1", {{"a.txt", "first input\n"}});
    upload_input("in2", "v2", {{"sub/b.bin", test::random_bytes(3 * 1024 * 1024 + 17, 7)}});
  }

  void upload_input(const std::string& name, const std::string& label,
                    const std::vector<std::pair<std::string, std::string>>& files) {
    const auto src = dir / ("src-" + name);
    for (const auto& [rel, data] : files) {
      std::filesystem::create_directories((src / rel).parent_path());
      test::write_file(src / rel, data);
    }
    auto r = store.run(
        {"bundle", "upload", "--path", src.string(), "--repo", "inputs", "--message", name, "--label", label});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::string fuse_yaml(const std::string& in1_label, bool with_output = true) {
    std::string y =
        "globalOpts:\n  coordPoint: " + coord.root().string() + "\n  mountTimeout: 30s\nbundles:\n" +
        "  - name: in1\n    srcPath: " + (dir / "mnt1").string() + "\n    srcRepo: inputs\n    srcLabel: " + in1_label +
        "\n" + "  - name: in2\n    srcPath: " + (dir / "mnt2").string() + "\n    srcRepo: inputs\n    srcLabel: v2\n";
    if (with_output) {
      y += "  - name: out\n    destPath: " + (dir / "out").string() +
           "\n    destRepo: results\n    destMessage: pod run\n    destLabel: run-out\n";
    }
    const auto file = dir / "fuse.yaml";
    test::write_file(file, y);
    return file.string();
  }

  // A pg sidecar config; empty labels mean "fresh" (no source) or "thrown away" (no destination).
  std::string pg_yaml(const std::string& name, const std::string& port, const std::string& src_label,
                      const std::string& dest_label) {
    std::string y = "globalOpts:\n  coordPoint: " + coord.root().string() + "\ndatabase:\n  name: " + name +
                    "\n  dataDir: " + (dir / "pg").string() + "\n  pgPort: " + port + "\n  runAs: postgres\n";
    if (!src_label.empty()) y += "  srcRepo: pgdata\n  srcLabel: " + src_label + "\n";
    if (!dest_label.empty()) y += "  destRepo: pgdata\n  destLabel: " + dest_label + "\n  destMessage: pod db\n";
    const auto file = dir / (name + ".yaml");
    test::write_file(file, y);
    return file.string();
  }

  // Runs `datamon pg ...` as a step of the test's own set-up or checks.
  void pg(const std::vector<std::string>& args) {
    std::vector<std::string> all{"pg"};
    all.insert(all.end(), args.begin(), args.end());
    auto r = store.run(all);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // A database bundle labelled `label` holding table t = {1}.
  void make_base_database(const std::string& label) {
    const auto pgdata = (dir / "base").string();
    const auto port = free_port();
    pg({"init", "--pgdata", pgdata});
    pg({"start", "--pgdata", pgdata, "--port", port});
    psql(port, "create table t(x int); insert into t values (1);");
    pg({"stop", "--pgdata", pgdata});
    pg({"commit", "--pgdata", pgdata, "--repo", "pgdata", "--message", "base", "--label", label});
  }

  // Restores `label` into a new folder, starts it and runs `sql`.
  std::string query_bundle(const std::string& label, const std::string& sql) {
    const auto pgdata = (dir / ("check-" + label)).string();
    const auto port = free_port();
    pg({"restore", "--repo", "pgdata", "--label", label, "--pgdata", pgdata});
    pg({"start", "--pgdata", pgdata, "--port", port});
    std::string out;
    try {
      out = psql(port, sql);
    } catch (...) {
      pg({"stop", "--pgdata", pgdata});
      throw;
    }
    pg({"stop", "--pgdata", pgdata});
    return out;
  }

  // No mount, no server, no sidecar or mount server of this pod (pgrep, /proc/mounts): within
  // seconds, since children of a killed sidecar end on their own.
  void expect_nothing_left_behind() {
    for (const auto& what : podtest::left_behind(dir.path(), 10s)) ADD_FAILURE() << "left behind: " << what;
    for (const char* m : {"mnt1", "mnt2"}) EXPECT_FALSE(is_fuse_mounted(dir / m)) << m << " still mounted";
    for (const char* db : {"fresh", "restored", "db"}) {
      EXPECT_FALSE(postgres_running_in(dir / "pg" / db)) << "postgres still running for " << db;
    }
  }

  std::string cluster_state(const std::filesystem::path& pgdata) {
    const auto r = test::run({pg_bin() + "/pg_controldata", "-D", pgdata.string()}, {"LC_ALL=C"});
    const auto at = r.out.find("Database cluster state:");
    if (at == std::string::npos) return "(pg_controldata failed: " + r.err + ")";
    const auto value = r.out.substr(at + 23, r.out.find('\n', at) - at - 23);
    return value.substr(value.find_first_not_of(' '));
  }

  static std::string pg_bin() {
    for (const char* v : {"17", "16", "15", "14", "13"}) {
      const std::string bin = std::string("/usr/lib/postgresql/") + v + "/bin";
      if (std::filesystem::exists(bin + "/pg_controldata")) return bin;
    }
    return "/usr/lib/postgresql/15/bin";
  }

  void TearDown() override {
    // Never leave a mount or a server behind, even when an assertion failed half-way.
    for (const char* m : {"mnt1", "mnt2"}) detach_fuse_mount_if_any(dir / m);
    for (const char* db : {"fresh", "restored", "db", "base"}) {
      if (postgres_running_in(dir / "pg" / db) || postgres_running_in(dir / db)) {
        store.run({"pg", "stop", "--pgdata",
                   (std::filesystem::exists(dir / "pg" / db) ? dir / "pg" / db : dir / db).string()});
      }
    }
  }

  podtest::LocalStore store;
  test::TempDir dir;
  CoordDir coord{dir / "coord"};
};

TEST_F(PodTest, InputsMountedDatabasesRunAndOutputsSavedAsNewBundles) {
  make_base_database("base");
  const auto port_restored = free_port();
  const auto port_fresh = free_port();
  auto fuse = start_datamon(store, {"sidecar", "fuse", "--config", fuse_yaml("v1")}, "fuse");
  auto restored = start_datamon(
      store, {"sidecar", "pg", "--config", pg_yaml("restored", port_restored, "base", "restored-out")}, "pg restored");
  auto fresh =
      start_datamon(store, {"sidecar", "pg", "--config", pg_yaml("fresh", port_fresh, "", "fresh-out")}, "pg fresh");
  const auto out = dir / "out";
  const std::string psql_cmd = "psql -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 ";
  const std::string app = "set -e; mkdir -p " + out.string() + "; cp " + (dir / "mnt1/a.txt").string() + " " +
                          out.string() + "/copy-a.txt; wc -c < " + (dir / "mnt2/sub/b.bin").string() + " > " +
                          out.string() + "/size-b.txt; " + psql_cmd + "-p " + port_restored +
                          " -c 'insert into t values (2)'; " + psql_cmd + "-p " + port_fresh +
                          " -c 'create table fresh(x int); insert into fresh values (42)'";
  auto wrap = start_datamon(store,
                            {"wrap", "--coord", coord.root().string(), "--fuse", "--pg", "restored", "--pg", "fresh",
                             "--timeout", "2m", "--", "sh", "-c", app},
                            "wrap");
  ASSERT_EQ(wrap->wait_exit(180s), 0) << wrap->failure_reason();
  EXPECT_EQ(fuse->wait_exit(60s), 0) << fuse->failure_reason();
  EXPECT_EQ(restored->wait_exit(60s), 0) << restored->failure_reason();
  EXPECT_EQ(fresh->wait_exit(60s), 0) << fresh->failure_reason();
  expect_nothing_left_behind();

  const auto back = dir / "back";
  auto r = store.run({"bundle", "download", "--repo", "results", "--label", "run-out", "--destination", back.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::pair<std::string, std::string>> expected{{"copy-a.txt", "first input\n"},
                                                                  {"size-b.txt", "3145745\n"}};
  EXPECT_EQ(test::tree_contents(back, {".datamon"}), expected);
  EXPECT_EQ(query_bundle("restored-out", "select string_agg(x::text, ',' order by x) from t"), "1,2\n");
  EXPECT_EQ(query_bundle("fresh-out", "select x from fresh"), "42\n");
}

TEST_F(PodTest, UnknownLabelFailsTheWrapperWithinSecondsNamingTheBundle) {
  auto fuse = start_datamon(store, {"sidecar", "fuse", "--config", fuse_yaml("no-such-label")}, "fuse");
  const auto ran = dir / "app-ran";
  auto wrap =
      start_datamon(store, {"wrap", "--coord", coord.root().string(), "--fuse", "--", "touch", ran.string()}, "wrap");
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(wrap->wait_exit(60s), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 30s);
  EXPECT_THAT(wrap->failure_reason(), HasSubstr("sidecar fuse failed: mount of bundle 'in1'"));
  EXPECT_THAT(wrap->failure_reason(), HasSubstr("no-such-label"));
  EXPECT_EQ(fuse->wait_exit(30s), 1);
  EXPECT_FALSE(std::filesystem::exists(ran));
  expect_nothing_left_behind();
}

// The failed sidecar keeps its liveness lock until the wrapper heard of it, so a wrapper that
// starts late still takes the failure as this run's (and not as an earlier run's leftover).
TEST_F(PodTest, AWrapperStartingAfterASidecarFailedStillHearsOfIt) {
  auto fuse = start_datamon(store, {"sidecar", "fuse", "--config", fuse_yaml("no-such-label")}, "fuse");
  ASSERT_TRUE(wait_for_file(coord.path(signals::kFuseFailed), 60s));
  std::this_thread::sleep_for(1s);
  EXPECT_FALSE(fuse->wait_exit(0ms)) << "the failed sidecar did not wait for the wrapper to hear of it";
  const auto ran = dir / "app-ran";
  auto wrap =
      start_datamon(store, {"wrap", "--coord", coord.root().string(), "--fuse", "--", "touch", ran.string()}, "wrap");
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(wrap->wait_exit(60s), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 15s);
  EXPECT_THAT(wrap->failure_reason(), HasSubstr("sidecar fuse failed: mount of bundle 'in1'"));
  EXPECT_EQ(fuse->wait_exit(30s), 1);
  EXPECT_FALSE(std::filesystem::exists(ran));
  expect_nothing_left_behind();
}

TEST_F(PodTest, AppExitingThreeSavesNothingAndStopsEverything) {
  auto fuse = start_datamon(store, {"sidecar", "fuse", "--config", fuse_yaml("v1")}, "fuse");
  auto db = start_datamon(store, {"sidecar", "pg", "--config", pg_yaml("db", free_port(), "", "never")}, "pg db");
  auto wrap = start_datamon(store,
                            {"wrap", "--coord", coord.root().string(), "--fuse", "--pg", "db", "--", "sh", "-c",
                             "mkdir -p " + (dir / "out").string() + "; touch " + (dir / "out/x").string() + "; exit 3"},
                            "wrap");
  ASSERT_TRUE(wait_for_file(dir / "out/x", 120s));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(wrap->wait_exit(60s), 3);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 30s);  // both sidecars ended (a database stopped) meanwhile
  EXPECT_THAT(wrap->failure_reason(), HasSubstr("exited with status 3"));
  EXPECT_EQ(fuse->wait_exit(30s), 0);
  EXPECT_EQ(db->wait_exit(60s), 0);
  expect_nothing_left_behind();
  EXPECT_EQ(store.run({"bundle", "list", "--repo", "results"}).out, "");
  EXPECT_EQ(store.run({"bundle", "list", "--repo", "pgdata"}).out, "");
}

TEST_F(PodTest, DatabaseThatCannotStartFailsTheWrapperNamingIt) {
  // Something else holds the port.
  const int blocker = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(blocker, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(blocker, 1), 0);
  socklen_t len = sizeof addr;
  ::getsockname(blocker, reinterpret_cast<sockaddr*>(&addr), &len);
  const auto port = std::to_string(ntohs(addr.sin_port));

  auto fuse = start_datamon(store, {"sidecar", "fuse", "--config", fuse_yaml("v1", false)}, "fuse");
  auto db = start_datamon(store, {"sidecar", "pg", "--config", pg_yaml("db", port, "", "")}, "pg db");
  const auto ran = dir / "app-ran";
  auto wrap = start_datamon(
      store, {"wrap", "--coord", coord.root().string(), "--fuse", "--pg", "db", "--", "touch", ran.string()}, "wrap");
  ASSERT_TRUE(wait_for_file(coord.path(signals::db_failed("db")), 120s));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(wrap->wait_exit(60s), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 15s);
  EXPECT_THAT(wrap->failure_reason(), HasSubstr("sidecar pg 'db' failed: database 'db': start on port " + port));
  EXPECT_EQ(db->wait_exit(60s), 1);
  EXPECT_EQ(fuse->wait_exit(30s), 0);  // released by `appfailed`: nothing to save
  EXPECT_FALSE(std::filesystem::exists(ran));
  ::close(blocker);
  expect_nothing_left_behind();
}

// A destination repo that does not exist is found before the database is even restored.
TEST_F(PodTest, AMissingDestinationRepoFailsThePgSidecarBeforeTheDatabaseStarts) {
  const auto port = free_port();
  const auto yaml = dir / "db.yaml";
  test::write_file(yaml, "globalOpts:\n  coordPoint: " + coord.root().string() +
                             "\ndatabase:\n  name: db\n  dataDir: " + (dir / "pg").string() + "\n  pgPort: " + port +
                             "\n  runAs: postgres\n  destRepo: no-such-repo\n  destMessage: pod db\n");
  auto db = start_datamon(store, {"sidecar", "pg", "--config", yaml.string()}, "pg db");
  const auto ran = dir / "app-ran";
  auto wrap = start_datamon(
      store, {"wrap", "--coord", coord.root().string(), "--pg", "db", "--", "touch", ran.string()}, "wrap");
  EXPECT_EQ(wrap->wait_exit(120s), 1);
  EXPECT_THAT(wrap->failure_reason(),
              HasSubstr("sidecar pg 'db' failed: destination repo 'no-such-repo' of database 'db'"));
  EXPECT_EQ(db->wait_exit(60s), 1);
  EXPECT_FALSE(std::filesystem::exists(ran)) << "the app ran although its database could never be saved";
  EXPECT_FALSE(coord.is_raised(signals::db_started("db")));
  EXPECT_FALSE(std::filesystem::exists(dir / "pg" / "db")) << "the database was set up before the check";
  expect_nothing_left_behind();
}

TEST_F(PodTest, SidecarKilledHalfWayFailsTheWrapperAndLeavesNoMount) {
  auto fuse = start_datamon(store, {"sidecar", "fuse", "--config", fuse_yaml("v1")}, "fuse");
  const auto started = dir / "app-started";
  auto wrap = start_datamon(store,
                            {"wrap", "--coord", coord.root().string(), "--fuse", "--grace", "1s", "--", "sh", "-c",
                             "touch " + started.string() + "; sleep 60"},
                            "wrap");
  ASSERT_TRUE(wait_for_file(started, 60s));
  ASSERT_TRUE(is_fuse_mounted(dir / "mnt1"));
  fuse->signal(SIGKILL);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(wrap->wait_exit(30s), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 15s);
  EXPECT_THAT(wrap->failure_reason(), HasSubstr("sidecar fuse exited without signalling"));
  // The mount servers were bound to the sidecar's life: they unmount on their own.
  for (int i = 0; i < 100 && (is_fuse_mounted(dir / "mnt1") || is_fuse_mounted(dir / "mnt2")); ++i) {
    std::this_thread::sleep_for(100ms);
  }
  expect_nothing_left_behind();
}

}  // namespace
}  // namespace dm::sidecar

namespace dm::sidecar {
namespace {

TEST_F(PodTest, OldWrapperProtocolDrivesAThrowAwayDatabase) {
  const auto port = free_port();
  auto db = start_datamon(store, {"sidecar", "pg", "--config", pg_yaml("db", port, "", "")}, "pg db");
  // wrap_application.sh -b postgres -d db: wait for dbstarted, run, touch initdbupload, wait for dbuploaddone.
  ASSERT_TRUE(wait_for_file(coord.path("db/dbstarted"), 120s));
  EXPECT_EQ(psql(port, "select 40 + 2"), "42\n");
  test::write_file(coord.path("db/initdbupload"), "");
  ASSERT_TRUE(wait_for_file(coord.path("db/dbuploaddone"), 60s));
  EXPECT_EQ(db->wait_exit(30s), 0);
  EXPECT_FALSE(postgres_running_in(dir / "pg/db"));
  EXPECT_EQ(store.run({"bundle", "list", "--repo", "pgdata"}).out, "");  // no destination: nothing saved
}

TEST_F(PodTest, SigtermStopsTheDatabaseCleanlyAndSignalsFailure) {
  auto db = start_datamon(store, {"sidecar", "pg", "--config", pg_yaml("db", free_port(), "", "kept")}, "pg db");
  ASSERT_TRUE(wait_for_file(coord.path("db/dbstarted"), 120s));
  ASSERT_TRUE(postgres_running_in(dir / "pg/db"));
  db->signal(SIGTERM);
  EXPECT_EQ(db->wait_exit(60s), 128 + SIGTERM);
  ASSERT_TRUE(coord.reason("db/dbfailed"));
  EXPECT_THAT(*coord.reason("db/dbfailed"), HasSubstr("terminated by signal 15"));
  EXPECT_FALSE(postgres_running_in(dir / "pg/db"));
  EXPECT_EQ(cluster_state(dir / "pg/db"), "shut down");  // -m fast semantics, not immediate
  EXPECT_EQ(store.run({"bundle", "list", "--repo", "pgdata"}).out, "");
  expect_nothing_left_behind();
}

// Issue 5, item "a sidecar killed half-way", for a pg sidecar: its server is its own child with
// a parent-death signal, so SIGKILLing the sidecar shuts the server down (fast, clean) instead
// of leaving it running. Then a second run in the same coordination folder and data folder
// (the wrapper started first, on the first run's files) restores and commits normally.
TEST_F(PodTest, KilledPgSidecarLeavesNoServerAndTheNextRunInTheSameFolderWorks) {
  const auto port = free_port();
  auto db = start_datamon(store, {"sidecar", "pg", "--config", pg_yaml("db", port, "", "never")}, "pg db run 1");
  const auto started = dir / "app-started";
  const std::string psql_cmd = "psql -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 -p " + port;
  auto wrap = start_datamon(store,
                            {"wrap", "--coord", coord.root().string(), "--pg", "db", "--grace", "1s", "--", "sh", "-c",
                             "set -e; " + psql_cmd + " -c 'create table t(x int); insert into t values (1)'; touch " +
                                 started.string() + "; sleep 60"},
                            "wrap run 1");
  ASSERT_TRUE(wait_for_file(started, 120s));
  const auto pgdata = dir / "pg" / "db";
  ASSERT_TRUE(postgres_running_in(pgdata));
  db->signal(SIGKILL);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(wrap->wait_exit(30s), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 15s);
  EXPECT_THAT(wrap->failure_reason(), HasSubstr("sidecar pg 'db' exited without signalling"));
  EXPECT_EQ(db->wait_exit(5s), 128 + SIGKILL);
  // Within seconds: no postgres of that folder (pgrep), no postmaster.pid owner, a clean cluster.
  const auto left = podtest::left_behind(dir.path(), 10s);
  EXPECT_TRUE(left.empty()) << "left behind: " << (left.empty() ? "" : left.front());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 15s);
  EXPECT_FALSE(postgres_running_in(pgdata));
  EXPECT_EQ(cluster_state(pgdata), "shut down");
  // The folder is fit for the pg mover as it stands: commit it.
  pg({"commit", "--pgdata", pgdata.string(), "--repo", "pgdata", "--message", "after kill", "--label", "after-kill"});
  ASSERT_EQ(query_bundle("after-kill", "select x from t"), "1\n");

  // Run 2, same coordination folder, same data folder; the wrapper first, on run 1's files
  // (db/dbstarted, appfailed, the released locks).
  std::this_thread::sleep_for(50ms);  // file times are coarse: keep run 1 strictly earlier
  ASSERT_TRUE(coord.is_raised(signals::db_started("db")));
  ASSERT_TRUE(coord.is_raised(signals::kAppFailed));
  auto wrap2 = start_datamon(store,
                             {"wrap", "--coord", coord.root().string(), "--pg", "db", "--timeout", "2m", "--", "sh",
                              "-c", psql_cmd + " -c 'insert into t values (2)'"},
                             "wrap run 2");
  std::this_thread::sleep_for(1s);
  EXPECT_FALSE(wrap2->wait_exit(0ms)) << "run 2's wrapper acted on run 1's files: " << wrap2->failure_reason();
  auto db2 = start_datamon(store, {"sidecar", "pg", "--config", pg_yaml("db", port, "after-kill", "second-run")},
                           "pg db run 2");
  ASSERT_EQ(wrap2->wait_exit(180s), 0) << wrap2->failure_reason();
  EXPECT_EQ(db2->wait_exit(60s), 0) << db2->failure_reason();
  expect_nothing_left_behind();
  EXPECT_EQ(cluster_state(pgdata), "shut down");
  EXPECT_EQ(query_bundle("second-run", "select string_agg(x::text, ',' order by x) from t"), "1,2\n");
}

}  // namespace
}  // namespace dm::sidecar
