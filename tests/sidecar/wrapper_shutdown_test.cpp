// `datamon wrap`'s shutdown is bounded and leaves nothing of the app behind (issue 17): a
// forwarded SIGTERM escalates to SIGKILL after --grace, a SIGKILLed wrapper does not leave the
// app's process group running, background children of an app that exited are killed, and a
// SIGHUP tells the sidecars (appfailed) instead of killing the wrapper silently.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <string>
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

// Polls a condition that the code under test makes true; `limit` only bounds a hang.
template <typename F>
bool eventually(F condition, std::chrono::milliseconds limit = 30s) {
  const auto deadline = Clock::now() + limit;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

class WrapShutdownTest : public ::testing::Test {
 protected:
  ~WrapShutdownTest() override {
    for (pid_t pid : spawned) ::kill(pid, SIGKILL);  // whatever a failing test left behind
  }
  std::unique_ptr<ChildProcess> wrap(const std::vector<std::string>& flags, const std::string& app_script) {
    std::vector<std::string> argv{DATAMON_BIN, "wrap", "--coord", coord.root().string()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), {"--", "sh", "-c", app_script});
    return std::make_unique<ChildProcess>(argv, SpawnOptions{.label = "wrap"});
  }
  // The pid a script wrote to `file` (published by rename, so never half-written).
  pid_t pid_in(const std::filesystem::path& file) {
    if (!eventually([&] { return std::filesystem::exists(file); })) return -1;
    const pid_t pid = std::stoi(test::read_file(file));
    spawned.push_back(pid);
    return pid;
  }
  std::string publish_pid(const std::string& pid_expr, const std::filesystem::path& file) {
    return "echo " + pid_expr + " > " + file.string() + ".tmp && mv " + file.string() + ".tmp " + file.string();
  }

  test::TempDir dir;
  CoordDir coord{dir / "coord"};
  std::vector<pid_t> spawned;
};

TEST_F(WrapShutdownTest, AForwardedSigtermBecomesSigkillAfterTheGrace) {
  const auto app_pid = dir / "app.pid";
  auto w = wrap({"--grace", "300ms"}, "trap '' TERM; " + publish_pid("$$", app_pid) + "; sleep 600");
  ASSERT_GT(pid_in(app_pid), 0);
  w->signal(SIGTERM);
  const auto code = w->wait_exit(30s);
  ASSERT_TRUE(code) << "an app ignoring SIGTERM kept the wrapper running past --grace";
  EXPECT_EQ(*code, 128 + SIGKILL);
  EXPECT_THAT(w->failure_reason(), HasSubstr("exited with status 137"));
}

TEST_F(WrapShutdownTest, ASigkilledWrapperDoesNotLeaveTheAppsGroupRunning) {
  const auto app_pid = dir / "app.pid", job_pid = dir / "job.pid";
  auto w = wrap({"--grace", "300ms"}, "trap '' TERM; sleep 600 & " + publish_pid("$!", job_pid) + "; " +
                                          publish_pid("$$", app_pid) + "; wait");
  const pid_t app = pid_in(app_pid), job = pid_in(job_pid);
  ASSERT_GT(app, 0);
  ASSERT_GT(job, 0);
  w->signal(SIGKILL);
  ASSERT_TRUE(w->wait_exit(30s));
  EXPECT_TRUE(eventually([&] { return test::process_gone(app) && test::process_gone(job); }))
      << "the app's process group outlived its SIGKILLed wrapper";
}

TEST_F(WrapShutdownTest, BackgroundChildrenOfAnAppThatExitedAreKilled) {
  const auto job_pid = dir / "job.pid", daemon_pid = dir / "daemon.pid";
  // One job stays in the app's group; one leaves it (its own session), as a daemon does.
  auto w = wrap({}, "sleep 600 & " + publish_pid("$!", job_pid) + "; setsid sleep 600 & " +
                        publish_pid("$!", daemon_pid) + "; exit 0");
  ASSERT_EQ(w->wait_exit(30s), 0) << w->failure_reason();
  const pid_t job = pid_in(job_pid), daemon = pid_in(daemon_pid);
  ASSERT_GT(job, 0);
  ASSERT_GT(daemon, 0);
  EXPECT_TRUE(test::process_gone(job)) << "a background job of the app outlived the wrapper";
  EXPECT_TRUE(test::process_gone(daemon)) << "a daemon started by the app outlived the wrapper";
}

TEST_F(WrapShutdownTest, SighupTellsTheSidecarsThroughAppfailed) {
  coord.ensure();
  auto fuse = std::make_unique<LivenessLock>(coord.path(signals::kFuseLock));
  fuse->mark_started();
  coord.raise(signals::kMountDone);
  const auto app_pid = dir / "app.pid";
  auto w = wrap({"--fuse", "--grace", "300ms"}, publish_pid("$$", app_pid) + "; sleep 600");
  ASSERT_GT(pid_in(app_pid), 0);
  w->signal(SIGHUP);
  // The wrapper waits for the live sidecar to end once it has raised appfailed.
  ASSERT_TRUE(eventually([&] { return coord.is_raised(signals::kAppFailed) || !w->running(); }));
  EXPECT_TRUE(coord.is_raised(signals::kAppFailed)) << "SIGHUP ended the wrapper without a word to the sidecars";
  fuse.reset();
  const auto code = w->wait_exit(30s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 128 + SIGHUP);
}

}  // namespace
}  // namespace dm::sidecar
