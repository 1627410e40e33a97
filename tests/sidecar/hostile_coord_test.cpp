// A hostile coordination folder (issue 17): anything in the pod can write it, the sidecars run
// as root. Lock files and signals planted as symlinks, FIFOs, hard links or symlinks to
// /dev/zero must never be followed, truncated, waited on or read without bound, and the
// wrapper must stay responsive to SIGTERM and its own --timeout.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <thread>

#include "common/util/error.h"
#include "sidecar/child_process.h"
#include "sidecar/liveness_lock.h"
#include "sidecar/signal_files.h"
#include "support/expect_error.h"
#include "support/test_support.h"

namespace dm::sidecar {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class HostileCoordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    coord.ensure();
    test::write_file(victim, "precious\n");
  }

  // `datamon wrap` under a 1 GiB address-space limit, so that an unbounded read fails fast
  // instead of eating the machine's memory.
  std::unique_ptr<ChildProcess> wrap(const std::vector<std::string>& flags, const std::vector<std::string>& app) {
    std::string line = "ulimit -v 1048576; exec " + std::string(DATAMON_BIN) + " wrap --coord " + coord.root().string();
    for (const auto& f : flags) line += " " + f;
    line += " --";
    for (const auto& a : app) line += " " + a;
    return std::make_unique<ChildProcess>(std::vector<std::string>{"sh", "-c", line}, SpawnOptions{.label = "wrap"});
  }

  void plant_fifo(const std::string& name) { ASSERT_EQ(::mkfifo(coord.path(name).c_str(), 0666), 0); }
  void plant_symlink(const std::string& name, const std::filesystem::path& to) {
    std::filesystem::create_symlink(to, coord.path(name));
  }
  // Waits until the wrapper has stamped its lock (it then handles termination signals itself).
  bool wrapper_stamped(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!probe_lock(coord.path(signals::kWrapperLock)).stamped) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }

  test::TempDir dir;
  CoordDir coord{dir / "coord"};
  std::filesystem::path victim = dir / "victim";
};

TEST_F(HostileCoordTest, ALockFileSymlinkIsRefusedAndItsTargetKeptIntact) {
  plant_symlink(signals::kFuseLock, victim);
  test::expect_error([&] { LivenessLock lock(coord.path(signals::kFuseLock)); }, ErrorKind::InvalidArgument,
                     {"fuse.lock", "symlink"});
  EXPECT_EQ(test::read_file(victim), "precious\n");
}

TEST_F(HostileCoordTest, ALockFileHardLinkedToAnotherFileIsRefused) {
  ASSERT_EQ(::link(victim.c_str(), coord.path(signals::kFuseLock).c_str()), 0);
  EXPECT_THROW(LivenessLock(coord.path(signals::kFuseLock)), Error);
  EXPECT_EQ(test::read_file(victim), "precious\n");
}

TEST_F(HostileCoordTest, TheWrapperRefusesASymlinkedLockNamingIt) {
  plant_symlink(signals::kWrapperLock, victim);
  auto w = wrap({}, {"true"});
  ASSERT_EQ(w->wait_exit(30s), 1);
  EXPECT_THAT(w->failure_reason(), HasSubstr("wrapper.lock' is a symlink"));
  EXPECT_EQ(test::read_file(victim), "precious\n");
}

TEST_F(HostileCoordTest, AFifoAsTheWrappersLockDoesNotHangIt) {
  plant_fifo(signals::kWrapperLock);
  auto w = wrap({}, {"true"});
  const auto code = w->wait_exit(30s);
  ASSERT_TRUE(code) << "the wrapper hangs on a FIFO at wrapper.lock";
  EXPECT_EQ(*code, 1);
  EXPECT_THAT(w->failure_reason(), HasSubstr("wrapper.lock' is a FIFO"));
}

TEST_F(HostileCoordTest, AFifoAsASidecarsLockFailsTheWrapperNamingIt) {
  coord.ensure("db1");
  plant_fifo(signals::db_lock("db1"));
  const auto ran = dir / "app-ran";
  auto w = wrap({"--pg", "db1", "--timeout", "20s"}, {"touch", ran.string()});
  const auto code = w->wait_exit(30s);
  ASSERT_TRUE(code) << "the wrapper hangs on a FIFO at db1/db.lock";
  EXPECT_EQ(*code, 1);
  EXPECT_THAT(w->failure_reason(), HasSubstr("sidecar pg 'db1': coordination file"));
  EXPECT_THAT(w->failure_reason(), HasSubstr("db.lock' is a FIFO"));
  EXPECT_FALSE(std::filesystem::exists(ran));
}

// A FIFO at a failure signal's name: the old wrapper blocked opening it, with SIGTERM blocked
// for its signalfd, so nothing but SIGKILL ended it. It is no signal: the wrapper keeps waiting
// for a real one and a SIGTERM ends the wait.
TEST_F(HostileCoordTest, AFifoSignalNeitherHangsTheWrapperNorDeafensItToSigterm) {
  auto fuse = std::make_unique<LivenessLock>(coord.path(signals::kFuseLock));
  fuse->mark_started();
  plant_fifo(signals::kFuseFailed);
  const auto ran = dir / "app-ran";
  auto w = wrap({"--fuse", "--timeout", "10m"}, {"touch", ran.string()});
  ASSERT_TRUE(wrapper_stamped(30s));
  w->signal(SIGTERM);
  // It tells the sidecars, then waits for the live one (us) to end.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!coord.is_raised(signals::kAppFailed) && w->running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(coord.is_raised(signals::kAppFailed)) << "the wrapper ignored SIGTERM";
  fuse.reset();
  const auto code = w->wait_exit(30s);
  ASSERT_TRUE(code) << "the wrapper ignored SIGTERM";
  EXPECT_EQ(*code, 1);
  EXPECT_THAT(w->failure_reason(), HasSubstr("interrupted by signal 15"));
  EXPECT_FALSE(std::filesystem::exists(ran));
}

TEST_F(HostileCoordTest, ASignalSymlinkedToDevZeroIsNoSignalAndCostsNoMemory) {
  auto fuse = std::make_unique<LivenessLock>(coord.path(signals::kFuseLock));
  fuse->mark_started();
  plant_symlink(signals::kFuseFailed, "/dev/zero");
  plant_symlink(signals::kMountDone, victim);  // a regular file, but not one a sidecar wrote
  const auto ran = dir / "app-ran";
  auto w = wrap({"--fuse", "--timeout", "1s"}, {"touch", ran.string()});
  const auto code = w->wait_exit(30s);
  ASSERT_TRUE(code) << "the wrapper hangs past --timeout";
  EXPECT_EQ(*code, 1);
  EXPECT_THAT(w->failure_reason(), HasSubstr("timed out after 1s waiting for sidecar fuse (ready)"));
  EXPECT_FALSE(std::filesystem::exists(ran));
  EXPECT_EQ(test::read_file(victim), "precious\n");
}

TEST_F(HostileCoordTest, AReasonIsReadToABound) {
  test::write_file(coord.path(signals::kFuseFailed), std::string(1 << 20, 'x'));
  const auto reason = coord.reason(signals::kFuseFailed);
  ASSERT_TRUE(reason);
  EXPECT_EQ(reason->size(), CoordDir::kMaxReason);
}

TEST_F(HostileCoordTest, ADatabaseFolderSymlinkIsRefused) {
  const auto elsewhere = dir / "elsewhere";
  std::filesystem::create_directories(elsewhere);
  plant_symlink("db1", elsewhere);
  test::expect_error([&] { coord.ensure("db1"); }, ErrorKind::InvalidArgument, {"db1' is not a folder"});
  auto w = wrap({"--pg", "db1"}, {"true"});
  ASSERT_EQ(w->wait_exit(30s), 1);
  EXPECT_THAT(w->failure_reason(), HasSubstr("db1' is not a folder"));
  EXPECT_TRUE(std::filesystem::is_empty(elsewhere));
}

}  // namespace
}  // namespace dm::sidecar
