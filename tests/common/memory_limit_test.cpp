// The memory a mount may fill with page-cache guesses: RAM, or the cgroup's limit when lower.
#include "common/util/memory_limit.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/test_support.h"

namespace dm {
namespace {

TEST(MemoryLimit, ParsesACgroupLimitAndRefusesAnythingElse) {
  EXPECT_EQ(parse_cgroup_memory_max("1073741824\n"), 1073741824U);
  EXPECT_EQ(parse_cgroup_memory_max("max\n"), std::nullopt);
  EXPECT_EQ(parse_cgroup_memory_max(""), std::nullopt);
  EXPECT_EQ(parse_cgroup_memory_max("12k"), std::nullopt);
  EXPECT_EQ(parse_cgroup_memory_max("-5"), std::nullopt);
  EXPECT_EQ(parse_cgroup_memory_max("99999999999999999999999"), std::nullopt);  // overflows
}

TEST(MemoryLimit, IsTheLowerOfRamAndTheCgroupLimit) {
  test::TempDir dir;
  const auto ram = memory_limit({dir.path() / "absent"});
  ASSERT_GT(ram, 0U);
  const auto limit = dir.path() / "memory.max";
  std::ofstream(limit) << "268435456\n";
  EXPECT_EQ(memory_limit({dir.path() / "absent", limit}), 268435456U);
  std::ofstream(limit) << "max\n";
  EXPECT_EQ(memory_limit({limit}), ram);
  std::ofstream(limit) << ram * 2 << "\n";  // cgroup v1 says "no limit" with a huge number
  EXPECT_EQ(memory_limit({limit}), ram);
}

}  // namespace
}  // namespace dm
