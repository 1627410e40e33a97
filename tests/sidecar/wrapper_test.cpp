// `datamon wrap` against sidecars played by the test through the file protocol (the real
// sidecars are driven in the pod tests): ordering, exit codes, failure and death of a
// sidecar, signal forwarding, timeouts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <thread>

#include "sidecar/app_gate.h"
#include "sidecar/child_process.h"
#include "sidecar/event_waiter.h"
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

// A sidecar played by the test: its liveness lock, taken and stamped as a real sidecar does
// once it has cleared its earlier run's files.
std::unique_ptr<LivenessLock> stamped_lock(const std::filesystem::path& file) {
  auto lock = std::make_unique<LivenessLock>(file);
  lock->mark_started();
  return lock;
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
  // A sidecar's answer to the wrapper's request: it echoes the request's token.
  void answer(const std::string& request, const std::string& done) {
    ASSERT_TRUE(wait_for_file(coord.path(request)));
    coord.raise(done, *coord.reason(request));
  }

  test::TempDir dir;
  CoordDir coord{dir / "coord"};
};

TEST_F(WrapTest, RunsTheAppOnlyOnceEverySidecarIsReadyThenWaitsForOutputs) {
  coord.ensure("db1");
  coord.ensure("db2");
  auto fuse = stamped_lock(coord.path(signals::kFuseLock));
  auto db1 = stamped_lock(coord.path(signals::db_lock("db1")));
  auto db2 = stamped_lock(coord.path(signals::db_lock("db2")));
  const auto out = dir / "app-ran";
  auto w = wrap({"--fuse", "--pg", "db1", "--pg", "db2"},
                {"sh", "-c",
                 "test -f " + coord.path("mountdone").string() + " && test -f " + coord.path("db2/dbstarted").string() +
                     " && echo ran > " + out.string()});
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
  answer(signals::kInitUpload, signals::kUploadDone);
  answer(signals::db_init_upload("db1"), signals::db_upload_done("db1"));
  EXPECT_FALSE(w->wait_exit(300ms)) << "the wrapper ended before db2 saved its outputs";
  answer(signals::db_init_upload("db2"), signals::db_upload_done("db2"));
  EXPECT_EQ(w->wait_exit(10s), 0);
  EXPECT_FALSE(coord.is_raised(signals::kAppFailed));
}

TEST_F(WrapTest, AppFailureKeepsItsExitCodeAndReleasesTheSidecarsWithoutSaving) {
  coord.ensure();
  auto fuse = stamped_lock(coord.path(signals::kFuseLock));
  coord.raise(signals::kMountDone);
  auto w = wrap({"--fuse"}, {"sh", "-c", "exit 3"});
  // The wrapper waits for the live sidecar to end after `appfailed`.
  ASSERT_TRUE(wait_for_file(coord.path(signals::kAppFailed)));
  EXPECT_THAT(*coord.reason(signals::kAppFailed), HasSubstr("exited with status 3"));
  EXPECT_FALSE(coord.is_raised(signals::kInitUpload));
  EXPECT_FALSE(w->wait_exit(300ms)) << "did not wait for the sidecar to end";
  fuse.reset();
  EXPECT_EQ(w->wait_exit(10s), 3);
  EXPECT_THAT(w->failure_reason(), HasSubstr("application sh exited with status 3"));
}

TEST_F(WrapTest, SidecarFailureStopsTheAppAndNamesTheSidecar) {
  coord.ensure("db1");
  auto lock = stamped_lock(coord.path(signals::db_lock("db1")));
  coord.raise(signals::db_started("db1"));
  const auto started = dir / "started";
  // The app ignores SIGTERM: the wrapper must SIGKILL it after the grace period.
  auto w =
      wrap({"--pg", "db1", "--grace", "300ms"}, {"sh", "-c", "trap '' TERM; touch " + started.string() + "; sleep 60"});
  ASSERT_TRUE(wait_for_file(started));
  coord.raise(signals::db_failed("db1"), "database 'db1': the server stopped while the application was running");
  lock.reset();
  const auto t0 = Clock::now();
  EXPECT_EQ(w->wait_exit(15s), 1);
  EXPECT_LT(Clock::now() - t0, 10s);
  EXPECT_THAT(w->failure_reason(), HasSubstr("sidecar pg 'db1' failed: database 'db1': the server stopped"));
  EXPECT_TRUE(coord.is_raised(signals::kAppFailed));
}

// The failure pod of tests/docker: the fuse sidecar fails at once (its label does not exist)
// while the pg sidecar is still starting. The wrapper must stay until that late sidecar has
// started, seen it alive and heard `appfailed`; exiting first left the sidecar waiting for a
// start signal until its own time limit (a day), taking the failure for an earlier run's.
TEST_F(WrapTest, AFailureWaitsForASidecarThatStartsLateToHearIt) {
  coord.ensure("db1");
  auto fuse = stamped_lock(coord.path(signals::kFuseLock));
  const auto out = dir / "app-ran";
  auto w = wrap({"--fuse", "--pg", "db1"}, {"touch", out.string()});
  // As a real sidecar does, the fuse one holds its lock until the wrapper heard of the failure.
  coord.raise(signals::kFuseFailed, "label 'nope' not found in repo 'inputs'");
  ASSERT_TRUE(wait_for_file(coord.path(signals::kAppFailed)));
  fuse.reset();
  EXPECT_FALSE(w->wait_exit(500ms)) << "the wrapper exited before the pg sidecar started";

  // The pg sidecar starts now, after `appfailed`, and runs its real gate.
  auto db1 = std::make_unique<LivenessLock>(coord.path(signals::db_lock("db1")));
  const timespec started = db1->mark_started();
  EXPECT_THAT(app_already_failed(coord, started).value_or("(none)"), HasSubstr("label 'nope' not found"))
      << "a late sidecar would restore its database for nothing";
  {
    EventWaiter waiter({coord.root(), coord.path("db1")}, 100ms);
    const auto outcome = wait_for_app(waiter, {coord, started, signals::db_init_upload("db1"), 10s, {}, {}});
    EXPECT_EQ(outcome.verdict, AppVerdict::Discard);
    EXPECT_THAT(outcome.reason, HasSubstr("label 'nope' not found"));
  }
  EXPECT_FALSE(w->wait_exit(300ms)) << "the wrapper exited while the pg sidecar was still ending";
  db1.reset();
  EXPECT_EQ(w->wait_exit(10s), 1);
  EXPECT_THAT(w->failure_reason(), HasSubstr("sidecar fuse failed: label 'nope' not found"));
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST_F(WrapTest, KilledSidecarIsNoticedWithinSeconds) {
  coord.ensure();
  auto lock = stamped_lock(coord.path(signals::kFuseLock));
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
  auto w = wrap({}, {"sh", "-c",
                     "trap 'echo term > " + got.string() + "; exit 5' TERM; touch " + started.string() +
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

// wrap_application.sh's command line (format spec §9.3), unchanged: -c, -b twice, -d, and an
// application whose own flags follow without `--` (getopts stops at the first word).
TEST_F(WrapTest, OldWrapperFlagsWaitForFuseAndEveryDatabase) {
  coord.ensure("db1");
  coord.ensure("db2");
  auto fuse = stamped_lock(coord.path(signals::kFuseLock));
  auto db1 = stamped_lock(coord.path(signals::db_lock("db1")));
  auto db2 = stamped_lock(coord.path(signals::db_lock("db2")));
  coord.raise(signals::kMountDone);
  coord.raise(signals::db_started("db1"));
  const auto out = dir / "app-ran";
  ChildProcess w({DATAMON_BIN, "wrap", "-c", coord.root().string(), "-b", "fuse", "-b", "postgres", "-d", "db1 db2",
                  "sh", "-c", "echo ran > " + out.string()},
                 {.label = "wrap"});
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(std::filesystem::exists(out)) << "the app started before db2 (from -d) was ready";
  coord.raise(signals::db_started("db2"));
  ASSERT_TRUE(wait_for_file(coord.path(signals::kInitUpload)));
  ASSERT_TRUE(wait_for_file(coord.path(signals::db_init_upload("db1"))));
  ASSERT_TRUE(wait_for_file(coord.path(signals::db_init_upload("db2"))));
  EXPECT_EQ(test::read_file(out), "ran\n");  // `sh -c` was the app's, not a second -c
  answer(signals::kInitUpload, signals::kUploadDone);
  answer(signals::db_init_upload("db1"), signals::db_upload_done("db1"));
  EXPECT_FALSE(w.wait_exit(300ms)) << "the wrapper ended before db2 saved its outputs";
  answer(signals::db_init_upload("db2"), signals::db_upload_done("db2"));
  EXPECT_EQ(w.wait_exit(10s), 0) << w.failure_reason();
}

TEST_F(WrapTest, OldWrapperFlagsAreValidatedAsTheScriptDid) {
  const auto ran = dir / "app-ran";
  const std::string c = coord.root().string();
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const std::vector<Case> cases{
      {{"-b", "fuse", "--", "touch", ran.string()}, "coordination point not set"},
      {{"-c", c, "-s", "--", "touch", ran.string()}, "-b fuse or -b postgres"},
      {{"-c", c, "-d", "db1", "--", "touch", ran.string()}, "-b fuse or -b postgres"},
      {{"-c", c, "-b", "nfs", "--", "touch", ran.string()}, "unknown battery type 'nfs'"},
      {{"-c", c, "-b", "fuse", "-b", "postgres", "--", "touch", ran.string()}, "-b postgres needs -d"},
      {{"-c", c, "-b", "postgres", "-d", "  ", "--", "touch", ran.string()}, "-b postgres needs -d"},
      {{"-c", c, "-b", "fuse"}, "no application"},
  };
  for (const auto& k : cases) {
    std::vector<std::string> argv{"wrap"};
    argv.insert(argv.end(), k.args.begin(), k.args.end());
    const auto r = test::datamon(argv);
    EXPECT_EQ(r.exit_code, 1) << k.error;
    EXPECT_THAT(r.err, HasSubstr("datamon: error: wrap: ")) << k.error;
    EXPECT_THAT(r.err, HasSubstr(k.error));
  }
  EXPECT_FALSE(std::filesystem::exists(ran));
}

TEST_F(WrapTest, OldSleepFlagLingersAfterSuccessUntilSigterm) {
  coord.ensure();
  auto fuse = stamped_lock(coord.path(signals::kFuseLock));
  coord.raise(signals::kMountDone);
  auto w = wrap({"-b", "fuse", "-s"}, {"true"});
  ASSERT_TRUE(wait_for_file(coord.path(signals::kInitUpload)));
  answer(signals::kInitUpload, signals::kUploadDone);
  EXPECT_FALSE(w->wait_exit(1s)) << "did not sleep after finishing (-s)";
  w->signal(SIGTERM);
  EXPECT_EQ(w->wait_exit(10s), 0);
}

// A coordination folder reused: an earlier run left every signal, failures included, and the
// released locks of its sidecars. The wrapper, started first, must neither run the app on
// them nor fail on them; it waits for this run's sidecars.
TEST_F(WrapTest, EarlierRunsFilesNeitherStartTheAppNorFailTheRun) {
  coord.ensure("db1");
  stamped_lock(coord.path(signals::kFuseLock)).reset();
  stamped_lock(coord.path(signals::db_lock("db1"))).reset();
  for (const std::string& f :
       {std::string(signals::kMountDone), std::string(signals::kUploadDone), signals::db_started("db1"),
        signals::db_upload_done("db1"), std::string(signals::kInitUpload), signals::db_init_upload("db1")}) {
    coord.raise(f);
  }
  coord.raise(signals::kFuseFailed, "run 1: mount failed");
  coord.raise(signals::db_failed("db1"), "run 1: restore failed");
  coord.raise(signals::kAppFailed, "run 1: app failed");
  std::this_thread::sleep_for(50ms);  // file times are coarse: keep run 1 strictly earlier

  const auto out = dir / "app-ran";
  auto w = wrap({"--fuse", "--pg", "db1", "--timeout", "30s"}, {"sh", "-c", "echo ran > " + out.string()});
  // The wrapper stamps its lock once it has cleared its own earlier signals: wait for that (a
  // fixed sleep was too short on a loaded machine), then give it time to misread the rest.
  const auto stamped_by = Clock::now() + 30s;
  while (!probe_lock(coord.path(signals::kWrapperLock)).stamped && Clock::now() < stamped_by) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(probe_lock(coord.path(signals::kWrapperLock)).stamped) << "the wrapper never started";
  std::this_thread::sleep_for(700ms);
  EXPECT_FALSE(std::filesystem::exists(out)) << "the app started on an earlier run's signals";
  EXPECT_FALSE(w->wait_exit(0ms)) << "the wrapper ended on an earlier run's failure: " << w->failure_reason();
  EXPECT_FALSE(coord.is_raised(signals::kAppFailed)) << "the wrapper did not clear its own earlier signal";

  // This run's sidecars: lock, clear what their earlier run left, stamp, get ready.
  auto fuse = std::make_unique<LivenessLock>(coord.path(signals::kFuseLock));
  for (const char* f : {signals::kMountDone, signals::kUploadDone, signals::kFuseFailed}) coord.clear(f);
  fuse->mark_started();
  auto db1 = std::make_unique<LivenessLock>(coord.path(signals::db_lock("db1")));
  for (const auto& f : {signals::db_started("db1"), signals::db_upload_done("db1"), signals::db_failed("db1")}) {
    coord.clear(f);
  }
  db1->mark_started();
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(std::filesystem::exists(out)) << "the app started before this run's sidecars were ready";
  coord.raise(signals::kMountDone);
  coord.raise(signals::db_started("db1"));
  ASSERT_TRUE(wait_for_file(coord.path(signals::kInitUpload)));
  ASSERT_TRUE(wait_for_file(coord.path(signals::db_init_upload("db1"))));
  EXPECT_TRUE(std::filesystem::exists(out));
  answer(signals::kInitUpload, signals::kUploadDone);
  answer(signals::db_init_upload("db1"), signals::db_upload_done("db1"));
  EXPECT_EQ(w->wait_exit(10s), 0) << w->failure_reason();
}

TEST_F(WrapTest, AFailureOfThisRunRaisedBeforeTheWrapperStartedIsBelieved) {
  coord.ensure();
  // A failed sidecar keeps its lock until the wrapper heard of it (app_gate.h).
  auto fuse = stamped_lock(coord.path(signals::kFuseLock));
  coord.raise(signals::kFuseFailed, "mount of bundle 'in' failed: label 'x' not found");
  const auto out = dir / "app-ran";
  auto w = wrap({"--fuse"}, {"touch", out.string()});
  ASSERT_TRUE(wait_for_file(coord.path(signals::kAppFailed)));  // the sidecar's cue to end
  fuse.reset();
  EXPECT_EQ(w->wait_exit(10s), 1);
  EXPECT_THAT(w->failure_reason(), HasSubstr("sidecar fuse failed: mount of bundle 'in' failed"));
  EXPECT_FALSE(std::filesystem::exists(out));
}

// The deadline runs from a sidecar's last progress: one that keeps moving data (its progress
// signal changes) is waited for past `timeout`; once it stops, it times out `timeout` later.
TEST_F(WrapTest, ASidecarStillMovingDataIsWaitedForPastTheTimeout) {
  coord.ensure();
  auto fuse = stamped_lock(coord.path(signals::kFuseLock));
  coord.raise(signals::kMountDone);
  auto w = wrap({"--fuse", "--timeout", "1s"}, {"true"});
  ASSERT_TRUE(wait_for_file(coord.path(signals::kInitUpload)));
  for (int i = 0; i < 12; ++i) {  // 3 s of transfer, three times the timeout
    coord.raise(signals::kFuseProgress, "io " + std::to_string(1000000 * (i + 1)));
    std::this_thread::sleep_for(250ms);
  }
  ASSERT_FALSE(w->wait_exit(0ms)) << "timed out while the sidecar moved data: " << w->failure_reason();
  answer(signals::kInitUpload, signals::kUploadDone);
  EXPECT_EQ(w->wait_exit(10s), 0) << w->failure_reason();
}

TEST_F(WrapTest, ASidecarThatStopsMovingDataTimesOut) {
  coord.ensure();
  auto fuse = stamped_lock(coord.path(signals::kFuseLock));
  coord.raise(signals::kMountDone);
  auto w = wrap({"--fuse", "--timeout", "1s"}, {"true"});
  ASSERT_TRUE(wait_for_file(coord.path(signals::kInitUpload)));
  for (int i = 0; i < 6; ++i) {
    coord.raise(signals::kFuseProgress, "io " + std::to_string(1000000 * (i + 1)));
    std::this_thread::sleep_for(250ms);
  }
  const auto stalled = Clock::now();
  ASSERT_TRUE(wait_for_file(coord.path(signals::kAppFailed), 10s));
  EXPECT_GE(Clock::now() - stalled, 600ms);
  fuse.reset();
  EXPECT_EQ(w->wait_exit(10s), 1);
  EXPECT_THAT(w->failure_reason(),
              HasSubstr("timed out after 1s without progress waiting for sidecar fuse (outputs saved)"));
}

// The app (which shares the coordination folder) plants the sidecars' answers before it exits
// 0: the wrapper must not take them for the sidecars', which have not saved anything yet.
TEST_F(WrapTest, PlantedAnswersAreNotBelieved) {
  coord.ensure("db1");
  auto fuse = stamped_lock(coord.path(signals::kFuseLock));
  auto db1 = stamped_lock(coord.path(signals::db_lock("db1")));
  coord.raise(signals::kMountDone);
  coord.raise(signals::db_started("db1"));
  const std::string plant = "touch " + coord.path(signals::kUploadDone).string() + " " +
                            coord.path(signals::db_upload_done("db1")).string() + "; echo 'run 00' > " +
                            coord.path(signals::kUploadDone).string();
  auto w = wrap({"--fuse", "--pg", "db1", "--timeout", "2s"}, {"sh", "-c", plant});
  const auto code = w->wait_exit(30s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1) << "the wrapper believed answers planted by the app";
  EXPECT_THAT(w->failure_reason(), HasSubstr("timed out after 2s waiting for sidecar fuse (outputs saved); its "
                                             "'uploaddone' does not answer this run's 'initupload'"));
  EXPECT_TRUE(coord.is_raised(signals::kAppFailed)) << "the sidecars were not told to discard";
}

// A sidecar without a lock file is an old script: it answers with an empty file, as before.
TEST_F(WrapTest, AnOldSidecarsEmptyAnswerIsStillBelieved) {
  coord.ensure();
  coord.raise(signals::kMountDone);
  auto w = wrap({"--fuse"}, {"true"});
  ASSERT_TRUE(wait_for_file(coord.path(signals::kInitUpload)));
  EXPECT_THAT(*coord.reason(signals::kInitUpload), ::testing::StartsWith("run "));
  coord.raise(signals::kUploadDone);
  EXPECT_EQ(w->wait_exit(30s), 0) << w->failure_reason();
}

}  // namespace
}  // namespace dm::sidecar
