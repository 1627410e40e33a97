// The building blocks of the pod protocol: atomic signal files, liveness locks, the event
// waiter (inotify and signals) and supervised children.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/util/error.h"
#include "common/util/process.h"
#include "sidecar/child_process.h"
#include "sidecar/event_waiter.h"
#include "sidecar/liveness_lock.h"
#include "sidecar/signal_files.h"
#include "support/expect_error.h"
#include "support/test_support.h"

namespace dm::sidecar {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using ::testing::HasSubstr;

TEST(CoordDir, RaisesSignalsWithTheirReason) {
  test::TempDir dir;
  CoordDir coord(dir / "coord");
  coord.ensure("db1");
  EXPECT_FALSE(coord.is_raised(signals::kMountDone));
  EXPECT_FALSE(coord.reason(signals::kFuseFailed));
  coord.raise(signals::kMountDone);
  coord.raise(signals::db_failed("db1"), "restore failed:\nlabel 'x' not found");
  EXPECT_TRUE(coord.is_raised("mountdone"));
  EXPECT_EQ(*coord.reason(signals::kMountDone), "");
  EXPECT_EQ(*coord.reason("db1/dbfailed"), "restore failed: label 'x' not found");
  // Only the signals themselves are left in the folder: no temporary files.
  size_t files = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(coord.root())) files += e.is_regular_file();
  EXPECT_EQ(files, 2U);
  coord.clear(signals::kMountDone);
  coord.clear(signals::kMountDone);  // absent is fine
  EXPECT_FALSE(coord.is_raised(signals::kMountDone));
}

TEST(CoordDir, SignalNamesMatchTheOldProtocol) {
  EXPECT_STREQ(signals::kMountDone, "mountdone");
  EXPECT_STREQ(signals::kInitUpload, "initupload");
  EXPECT_STREQ(signals::kUploadDone, "uploaddone");
  EXPECT_EQ(signals::db_started("d"), "d/dbstarted");
  EXPECT_EQ(signals::db_init_upload("d"), "d/initdbupload");
  EXPECT_EQ(signals::db_upload_done("d"), "d/dbuploaddone");
}

TEST(LivenessLock, SeesAHolderDieEvenBySigkill) {
  test::TempDir dir;
  const auto file = dir / "x.lock";
  EXPECT_EQ(probe_liveness(file), Liveness::NotStarted);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  auto holder = process::fork_call("lock holder", process::ProcessGroup::Inherit, [&] {
    LivenessLock lock(file);
    char c = 1;
    [[maybe_unused]] auto n = ::write(ready[1], &c, 1);
    ::pause();
    return 0;
  });
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  EXPECT_EQ(probe_liveness(file), Liveness::Alive);
  holder.signal(SIGKILL);
  EXPECT_EQ(holder.wait().signal, SIGKILL);
  EXPECT_EQ(probe_liveness(file), Liveness::Gone);
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST(LivenessLock, RefusesASecondHolder) {
  test::TempDir dir;
  LivenessLock first(dir / "x.lock");
  test::expect_error([&] { LivenessLock second(dir / "x.lock"); }, ErrorKind::AlreadyExists, {"x.lock"});
}

TEST(EventWaiter, WakesOnANewFileLongBeforeItsTimeLimit) {
  test::TempDir dir;
  EventWaiter waiter({dir.path()}, 10s);
  ASSERT_TRUE(waiter.inotify_active());
  CoordDir coord(dir.path());
  std::thread writer([&] {
    std::this_thread::sleep_for(100ms);
    coord.raise(signals::kMountDone);
  });
  const auto start = Clock::now();
  while (!coord.is_raised(signals::kMountDone) && Clock::now() - start < 5s) waiter.wait(5s);
  const auto took = Clock::now() - start;
  writer.join();
  EXPECT_TRUE(coord.is_raised(signals::kMountDone));
  EXPECT_LT(took, 4s);  // a correctness bound (not a speed claim): the 5 s limit was not what woke us
}

TEST(EventWaiter, ReportsSigterm) {
  test::TempDir dir;
  EventWaiter waiter({dir.path()}, 10s);
  ::kill(::getpid(), SIGTERM);  // blocked: lands in the signalfd instead of killing us
  std::optional<int> got;
  for (int i = 0; i < 20 && !got; ++i) got = waiter.wait(1s);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, SIGTERM);
  EXPECT_EQ(waiter.terminated_by(), SIGTERM);
}

TEST(EventWaiter, PollsWhenAFolderCannotBeWatched) {
  test::TempDir dir;
  EventWaiter waiter({dir / "missing"}, 20ms);
  EXPECT_FALSE(waiter.inotify_active());
  const auto start = Clock::now();
  waiter.wait(10s);
  EXPECT_LT(Clock::now() - start, 5s);
}

TEST(ChildProcess, ReportsTheDatamonErrorLine) {
  ChildProcess child(
      {"sh", "-c", "echo working; echo 'datamon: error: label \"nope\" not found in repo \"r\"' >&2; exit 1"},
      {.label = "t"});
  ASSERT_EQ(child.wait_exit(10s), 1);
  EXPECT_EQ(child.failure_reason(), "label \"nope\" not found in repo \"r\"");
}

TEST(ChildProcess, FallsBackToTheLastLineAndTheStatus) {
  ChildProcess child({"sh", "-c", "echo first; echo last words; exit 7"}, {.label = "t"});
  ASSERT_EQ(child.wait_exit(10s), 7);
  EXPECT_EQ(child.failure_reason(), "last words (exited with status 7)");
  ChildProcess quiet({"sh", "-c", "exit 4"}, {.label = "q"});
  ASSERT_EQ(quiet.wait_exit(10s), 4);
  EXPECT_EQ(quiet.failure_reason(), "exited with status 4");
}

TEST(ChildProcess, StopKillsAGroupThatIgnoresSigterm) {
  test::TempDir dir;
  const auto pidfile = dir / "grandchild.pid";
  ChildProcess child({"sh", "-c", "trap '' TERM; sleep 60 & echo $! > " + pidfile.string() + "; wait"},
                     {.label = "stubborn", .own_process_group = true});
  for (int i = 0; i < 100 && !std::filesystem::exists(pidfile); ++i) std::this_thread::sleep_for(20ms);
  const pid_t grandchild = std::stoi(test::read_file(pidfile));
  EXPECT_EQ(child.stop(300ms), 128 + SIGKILL);
  // The whole group went: no process is left behind.
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = test::process_gone(grandchild);
    if (!gone) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(gone);
}

// The pg sidecar's server is started this way: as another user, bound to the sidecar's life
// with SIGINT. A SIGKILLed parent must still deliver it (the user switch would clear it if it
// were set before).
TEST(ChildProcess, ABoundChildRunningAsAnotherUserGetsItsDeathSignalWhenTheParentIsKilled) {
  ASSERT_EQ(::geteuid(), 0U) << "the suites run as root";
  const passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  test::TempDir dir;
  std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all | std::filesystem::perms::group_exec |
                                               std::filesystem::perms::others_exec);
  const auto box = dir / "box";
  std::filesystem::create_directories(box);
  std::filesystem::permissions(box, std::filesystem::perms::all);
  const auto ready = box / "ready";
  const auto got = box / "got-int";
  const uid_t uid = nobody->pw_uid;
  const gid_t gid = nobody->pw_gid;
  // The bound child's parent: a process of its own, so that the test can SIGKILL it.
  auto parent = process::fork_call("the bound child's parent", process::ProcessGroup::Inherit, [&] {
    try {
      ChildProcess child({"/bin/sh", "-c",
                          "trap 'echo int > " + got.string() + "; exit 0' INT; echo $$ > " + (box / "pid").string() +
                              "; id -u > " + ready.string() + ".tmp && mv " + ready.string() + ".tmp " +
                              ready.string() + "; while :; do sleep 0.05; done"},
                         {.label = "bound",
                          .tap_output = false,
                          .die_with_parent = true,
                          .death_signal = SIGINT,
                          .run_as = Credentials{uid, gid, {gid}}});
      ::pause();
    } catch (...) {
    }
    return 1;
  });
  bool up = false;
  for (int i = 0; i < 500 && !up; ++i) {
    up = std::filesystem::exists(ready);
    if (!up) std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(up);
  EXPECT_EQ(test::read_file(ready), std::to_string(uid) + "\n");
  parent.signal(SIGKILL);
  parent.wait();
  bool signalled = false;
  for (int i = 0; i < 500 && !signalled; ++i) {
    signalled = std::filesystem::exists(got);
    if (!signalled) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(signalled) << "the child outlived its killed parent without SIGINT";
  if (!signalled) ::kill(std::stoi(test::read_file(box / "pid")), SIGKILL);  // leave nothing behind
}

TEST(ChildProcess, UnknownProgramIsNamed) {
  EXPECT_THAT(test::error_message([] { ChildProcess child({"no-such-program-xyz"}, {}); }),
              HasSubstr("no-such-program-xyz"));
}

}  // namespace
}  // namespace dm::sidecar
