// The one mountinfo parser: fields decoded as the kernel escapes them, the top mount found; the
// one mount detach.
#include "common/util/mount_table.h"

#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>

#include "common/util/error.h"
#include "common/util/fuse_mounts.h"
#include "support/expect_error.h"
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
  EXPECT_EQ(entries[1].source, "datamon");
  EXPECT_EQ(entries[1].super_options, "rw,user_id=0");
  EXPECT_EQ(entries[2].device, "8:1");
  EXPECT_EQ(entries[2].source, "/dev/sda1");
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
  EXPECT_FALSE(is_fuse_mounted(point));
  detach_mount(point);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->fs_type, "tmpfs");
  EXPECT_EQ(found->source, "dm-test");
  EXPECT_EQ(found->mount_point, std::filesystem::weakly_canonical(point));
  EXPECT_FALSE(top_of_dir.has_value() && top_of_dir->fs_type == "tmpfs" &&
               top_of_dir->mount_point == found->mount_point);
  EXPECT_FALSE(mount_at(point).has_value());
}

// Nothing mounted there: umount2 and fusermount3 both refuse, and the error names the folder.
TEST(FuseMounts, DetachingWhereNothingIsMountedNamesTheMountPoint) {
  test::TempDir dir;
  test::expect_error([&] { detach_mount(dir.path()); }, ErrorKind::Io, {dir.path().string()});
  EXPECT_TRUE(detach_fuse_mount_if_any(dir.path())) << "no FUSE mount there: nothing to do";
}

}  // namespace
}  // namespace dm
