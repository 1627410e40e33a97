// Other users cannot read a mount unless --allow-other is given (issue 8): FUSE's own
// protection, kept on by default, and default_permissions always applied.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "fuse_fixture.h"

namespace dm::test {
namespace {

// Reads `path` as the unprivileged user nobody; true on success.
bool readable_by_nobody(const std::filesystem::path& path) {
  const auto r = run({"/usr/sbin/runuser", "-u", "nobody", "--", "/bin/cat", path.string()});
  return r.exit_code == 0;
}

TEST(AllowOther, OtherUsersAreKeptOutUnlessAsked) {
  TestContext ctx;
  TempDir src;
  write_file(src / "f.txt", "secret-ish");
  const auto id = ctx.upload(src.path());
  TempDir points;
  ::chmod(points.path().c_str(), 0755);
  {
    MountProcess m(ctx, id, points / "private");
    ASSERT_TRUE(m.ready()) << m.log();
    EXPECT_EQ(read_file(points / "private" / "f.txt"), "secret-ish");
    EXPECT_FALSE(readable_by_nobody(points / "private" / "f.txt"));
    const auto info = find_mount(points / "private");
    ASSERT_TRUE(info);
    EXPECT_EQ(info->options.find("allow_other"), std::string::npos) << info->options;
  }
  {
    MountProcess m(ctx, id, points / "shared", {"--allow-other"});
    ASSERT_TRUE(m.ready()) << m.log();
    EXPECT_TRUE(readable_by_nobody(points / "shared" / "f.txt"));
    const auto info = find_mount(points / "shared");
    ASSERT_TRUE(info);
    EXPECT_NE(info->options.find("allow_other"), std::string::npos) << info->options;
  }
}

}  // namespace
}  // namespace dm::test
