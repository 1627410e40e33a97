// ProgressBeacon on this test process: file I/O by another thread raises the signal; the
// beacon's own reading of /proc and writing of the signal do not keep it going.
#include "sidecar/progress_beacon.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

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

}  // namespace
}  // namespace dm::sidecar
