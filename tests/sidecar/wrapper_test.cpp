// `datamon wrap` against sidecars played by the test through the file protocol (the real
// sidecars are driven in the pod tests): ordering, exit codes, failure and death of a
// sidecar, signal forwarding, timeouts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <memory>
#include <thread>

#include "sidecar/child_process.h"
#include "sidecar/liveness_lock.h"
#include "sidecar/signal_files.h"
#include "support/test_support.h"

namespace dm::sidecar {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using ::testing::HasSubstr;

bool wait_for_file(const std::filesystem::path& p, std::chrono::milliseconds limit = 10s) {
  const auto deadline = Clock::now() + limit;
  while (!std::filesystem::exists(p)) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

class WrapTest : public ::testing::Test {
 protected:
  std::unique_ptr<ChildProcess> wrap(const std::vector<std::string>& flags, const std::vector<std::string>& app) {
    std::vector<std::string> argv{DATAMON_BIN, "wrap", "--coord", coord.root().string()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.emplace_back("--");
    argv.insert(argv.end(), app.begin(), app.end());
    return std::make_unique<ChildProcess>(argv, SpawnOptions{.label = "wrap"});
  }
  std::string shell(const std::string& script) { return script; }

  test::TempDir dir;
  CoordDir coord{dir / "coord"};
};

TEST_F(WrapTest, RunsTheAppOnlyOnceEverySidecarIsReadyThenWaitsForOutputs) {
  coord.ensure("db1");
  coord.ensure("db2");
  LivenessLock fuse(coord.path(signals::kFuseLock)), db1(coord.path(signals::db_lock("db1"))),
      db2(coord.path(signals::db_lock("db2")));
  const auto out = dir / "app-ran";
  auto w = wrap({"--fuse", "--pg", "db1", "--pg", "db2"},
                {"sh", "-c", "test -f " + coord.path("mountdone").string() + " && test -f " +
                                 coord.path("db2/dbstarted").string() + " && echo ran > " + out.string()});
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(std::filesystem::exists(out)) << "the app started before its sidecars were ready";
  coord.raise(signals::kMountDone);
  coord.raise(signals::db_started("db1"));
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(std::filesystem::exists(out)) << "the app started before db2 was ready";
  coord.raise(signals::db_started("db2"));
  ASSERT_TRUE(wait_for_file(coord.path(signals::kInitUpload)));
  ASSERT_TRUE(wait_for_file(coord.path(signals::db_init_upload("db1"))));
  ASSERT_TRUE(wait_for_file(coord.path(signals::db_init_upload("db2"))));
  EXPECT_TRUE(std::filesystem::exists(out));
  coord.raise(signals::kUploadDone);
  coord.raise(signals::db_upload_done("db1"));
  EXPECT_FALSE(w->wait_exit(300ms)) << "the wrapper ended before db2 saved its outputs";
  coord.raise(signals::db_upload_done("db2"));
  EXPECT_EQ(w->wait_exit(10s), 0);
  EXPECT_FALSE(coord.is_raised(signals::kAppFailed));
}

TEST_F(WrapTest, AppFailureKeepsItsExitCodeAndReleasesTheSidecarsWithoutSaving) {
  coord.ensure();
  LivenessLock fuse(coord.path(signals::kFuseLock));
  coord.raise(signals::kMountDone);
  auto w = wrap({"--fuse"}, {"sh", "-c", "exit 3"});
  // The wrapper waits for the live sidecar to end after `appfailed`.
  ASSERT_TRUE(wait_for_file(coord.path(signals::kAppFailed)));
  EXPECT_THAT(*coord.reason(signals::kAppFailed), HasSubstr("exited with status 3"));
  EXPECT_FALSE(coord.is_raised(signals::kInitUpload));
  EXPECT_FALSE(w->wait_exit(300ms)) << "did not wait for the sidecar to end";
  { LivenessLock gone = std::move(fuse); }
  EXPECT_EQ(w->wait_exit(10s), 3);
  EXPECT_THAT(w->failure_reason(), HasSubstr("application sh exited with status 3"));
}

TEST_F(WrapTest, SidecarFailureStopsTheAppAndNamesTheSidecar) {
  coord.ensure("db1");
  auto lock = std::make_unique<LivenessLock>(coord.path(signals::db_lock("db1")));
  coord.raise(signals::db_started("db1"));
  const auto started = dir / "started";
  // The app ignores SIGTERM: the wrapper must SIGKILL it after the grace period.
  auto w = wrap({"--pg", "db1", "--grace", "300ms"},
                {"sh", "-c", "trap '' TERM; touch " + started.string() + "; sleep 60"});
  ASSERT_TRUE(wait_for_file(started));
  coord.raise(signals::db_failed("db1"), "database 'db1': the server stopped while the application was running");
  lock.reset();
  const auto t0 = Clock::now();
  EXPECT_EQ(w->wait_exit(15s), 1);
  EXPECT_LT(Clock::now() - t0, 10s);
  EXPECT_THAT(w->failure_reason(), HasSubstr("sidecar pg 'db1' failed: database 'db1': the server stopped"));
  EXPECT_TRUE(coord.is_raised(signals::kAppFailed));
}

TEST_F(WrapTest, KilledSidecarIsNoticedWithinSeconds) {
  coord.ensure();
  auto lock = std::make_unique<LivenessLock>(coord.path(signals::kFuseLock));
  coord.raise(signals::kMountDone);
  const auto started = dir / "started";
  auto w = wrap({"--fuse"}, {"sh", "-c", "touch " + started.string() + "; sleep 60"});
  ASSERT_TRUE(wait_for_file(started));
  lock.reset();  // as if the sidecar was SIGKILLed: no signal, only the lock released
  EXPECT_EQ(w->wait_exit(15s), 1);
  EXPECT_THAT(w->failure_reason(), HasSubstr("sidecar fuse exited without signalling"));
}

TEST_F(WrapTest, TimeoutNamesTheMissingSidecarAndNeverStartsTheApp) {
  const auto out = dir / "app-ran";
  auto w = wrap({"--pg", "db9", "--timeout", "500ms"}, {"touch", out.string()});
  EXPECT_EQ(w->wait_exit(15s), 1);
  EXPECT_THAT(w->failure_reason(), HasSubstr("timed out after 500ms waiting for sidecar pg 'db9'"));
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST_F(WrapTest, ForwardsSigtermToTheApp) {
  coord.ensure();
  const auto started = dir / "started";
  const auto got = dir / "got-term";
  auto w = wrap({}, {"sh", "-c", "trap 'echo term > " + got.string() + "; exit 5' TERM; touch " + started.string() +
                                     "; while :; do sleep 0.05; done"});
  ASSERT_TRUE(wait_for_file(started));
  w->signal(SIGTERM);
  EXPECT_EQ(w->wait_exit(15s), 5);
  EXPECT_TRUE(std::filesystem::exists(got));
}

TEST_F(WrapTest, NoSidecarsAndNoOutputsIsFine) {
  auto w = wrap({}, {"true"});
  EXPECT_EQ(w->wait_exit(15s), 0);
}

TEST_F(WrapTest, RejectsBadArguments) {
  auto r = test::datamon({"wrap", "--coord", coord.root().string(), "--pg", "a/b", "--", "true"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("--pg 'a/b'"));
  r = test::datamon({"wrap", "--coord", coord.root().string(), "--timeout", "soon", "--", "true"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("--timeout"));
  r = test::datamon({"wrap", "--coord", coord.root().string(), "--", "no-such-app-xyz"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("no-such-app-xyz"));
}

}  // namespace
}  // namespace dm::sidecar
