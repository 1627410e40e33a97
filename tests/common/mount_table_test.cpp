// The one mountinfo parser: fields decoded as the kernel escapes them, the top mount found.
#include "common/util/mount_table.h"

#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>

#include "support/test_support.h"

namespace dm {
namespace {

TEST(MountTable, DecodesEscapedFieldsAndKeepsTheOrder) {
  const auto entries = parse_mount_table(
      "22 1 0:21 / /proc rw,nosuid shared:5 - proc proc rw\n"
      "36 22 0:50 / /mnt/with\\040space\\011tab\\134back rw,relatime - fuse.datamon datamon rw,user_id=0\n"
      "not a mountinfo line\n"
      "37 22 8:1 / /mnt/with\\040space\\011tab\\134back rw - ext4 /dev/sda1 rw");
  ASSERT_EQ(entries.size(), 3U);
  EXPECT_EQ(entries[0].mount_point, "/proc");
  EXPECT_EQ(entries[0].fs_type, "proc");
  EXPECT_EQ(entries[1].mount_point, "/mnt/with space\ttab\\back");
  EXPECT_EQ(entries[1].device, "0:50");
  EXPECT_EQ(entries[1].fs_type, "fuse.datamon");
  EXPECT_EQ(entries[2].device, "8:1");
}

// A real mount (tests run as root) at a folder whose name has a space: the bug of the copy in
// fuse_server.cpp, which compared the escaped field and never found such a mount.
TEST(MountTable, FindsARealMountWhosePathHasASpace) {
  test::TempDir dir;
  const auto point = dir / "mount point";
  std::filesystem::create_directories(point);
  EXPECT_FALSE(mount_at(point).has_value());
  ASSERT_EQ(::mount("dm-test", point.c_str(), "tmpfs", 0, "size=1m"), 0) << std::strerror(errno);
  const auto found = mount_at(point);
  const auto top_of_dir = mount_at(dir.path());
  ::umount2(point.c_str(), MNT_DETACH);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->fs_type, "tmpfs");
  EXPECT_EQ(found->mount_point, std::filesystem::weakly_canonical(point));
  EXPECT_FALSE(top_of_dir.has_value() && top_of_dir->fs_type == "tmpfs" &&
               top_of_dir->mount_point == found->mount_point);
  EXPECT_FALSE(mount_at(point).has_value());
}

}  // namespace
}  // namespace dm
