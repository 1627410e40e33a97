// ProgressBeacon on this test process: file I/O by another thread raises the signal; the
// beacon's own reading of /proc and writing of the signal do not keep it going. The I/O it
// counts is that of the whole process tree, found by process_tree's walk of /proc.
#include "sidecar/progress_beacon.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include "sidecar/process_tree.h"
#include "support/test_support.h"

namespace dm::sidecar {
namespace {

using namespace std::chrono_literals;

std::optional<std::string> wait_for_change(const CoordDir& coord, const std::string& name,
                                           const std::optional<std::string>& from, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto now = coord.reason(name);
    if (now != from) return now;
    std::this_thread::sleep_for(20ms);
  }
  return from;
}

TEST(ProgressBeacon, FileIoRaisesItAndIdlenessLetsItRest) {
  test::TempDir dir;
  CoordDir coord(dir / "coord");
  coord.ensure();
  coord.raise(signals::kFuseProgress, "from an earlier run");
  ProgressBeacon beacon(coord, signals::kFuseProgress, 100ms);
  EXPECT_FALSE(coord.is_raised(signals::kFuseProgress)) << "an earlier run's progress was kept";

  test::write_file(dir / "data", test::random_bytes(1 << 20, 1));
  const auto first = wait_for_change(coord, signals::kFuseProgress, std::nullopt, 5s);
  ASSERT_TRUE(first) << "1 MiB written, no progress raised";

  // Idle: the content must not move on its own for a second (ten periods).
  std::this_thread::sleep_for(300ms);  // let the write's last period pass
  const auto settled = coord.reason(signals::kFuseProgress);
  EXPECT_EQ(wait_for_change(coord, signals::kFuseProgress, settled, 1s), settled);

  (void)test::read_file(dir / "data");  // 1 MiB read
  EXPECT_NE(wait_for_change(coord, signals::kFuseProgress, settled, 5s), settled);
}

bool contains(const std::vector<pid_t>& pids, pid_t pid) {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

TEST(ProcessTree, AGrandchildIsADescendantAndItsReadsCountInTheTree) {
  test::TempDir dir;
  const auto data = dir / "data";
  const auto done = dir / "read";
  test::write_file(data, test::random_bytes(2 << 20, 2));
  const uint64_t before = tree_io_bytes(::getpid());
  // sh, our child, starts python, our grandchild, which reads the file and then waits.
  auto child =
      test::spawn({"sh", "-c",
                   "python3 -c \"import sys, time; open(sys.argv[1], 'rb').read(); open(sys.argv[2], 'w').close(); "
                   "time.sleep(30)\" '" +
                       data.string() + "' '" + done.string() + "' & wait"});
  for (int i = 0; i < 500 && !std::filesystem::exists(done); ++i) std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(std::filesystem::exists(done)) << "the grandchild never read its file";
  const auto grandchildren = children_of(child.pid());
  ASSERT_EQ(grandchildren.size(), 1u);
  const pid_t grandchild = grandchildren[0];
  EXPECT_TRUE(contains(children_of(::getpid()), child.pid()));
  EXPECT_FALSE(contains(children_of(::getpid()), grandchild));
  const auto below = descendants_of(::getpid());
  EXPECT_TRUE(contains(below, child.pid()));
  EXPECT_TRUE(contains(below, grandchild));
  EXPECT_FALSE(contains(below, ::getpid()));
  EXPECT_GE(tree_io_bytes(::getpid()), before + (uint64_t{2} << 20)) << "the grandchild's 2 MiB read is not counted";
  ::kill(grandchild, SIGKILL);
}

}  // namespace
}  // namespace dm::sidecar
