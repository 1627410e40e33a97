// A mount of a bundle whose index is bad fails at start with the bundle and the index file(s)
// at fault named, and leaves no mount behind.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>

#include "common/model/paths.h"
#include "fusefs/fuse_fixture.h"

namespace dm::test {
namespace {

class IndexErrorMount : public MountTestBase {
 protected:
  RunResult mount(const std::string& id) {
    return datamon({"bundle", "mount", "--repo", "repo", "--bundle", id, "--mount", mnt.string(), "--daemonize"},
                   ctx.env());
  }
};

TEST_F(IndexErrorMount, ADuplicateAcrossIndexFilesNamesBothFiles) {
  // Two entries per index file: x/a in file 0 and again in file 1.
  const auto id = ctx.write_bundle_by_hand({{"x/a", "one"}, {"x/b", "two"}, {"x/a", "three"}}, 1 << 21, 2, 2);
  const auto r = mount(id);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(id), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'x/a' appears twice"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bundle-files-0.yaml and "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bundle-files-1.yaml)"), std::string::npos) << r.err;
  EXPECT_FALSE(find_mount(mnt));
}

TEST_F(IndexErrorMount, AnEscapingNameNamesItsIndexFile) {
  const auto id = ctx.write_bundle_by_hand({{"ok.txt", "fine"}, {"sub/../../escape", "bad"}}, 1 << 21, 2, 1);
  const auto r = mount(id);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(id), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'sub/../../escape'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(index file "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bundle-files-1.yaml)"), std::string::npos) << r.err;
  EXPECT_FALSE(find_mount(mnt));
}

TEST_F(IndexErrorMount, AnEmptyFileWhoseKeyIsNotEmptyContentsIsRefused) {
  TempDir src;
  write_file(src / "empty", "");
  write_file(src / "hello", "hello");
  const auto id = ctx.upload(src.path());
  auto& meta = *ctx.stores().metadata;
  const auto index = model::index_path("repo", id, 0);
  auto entries = model::parse_bundle_entries(meta.get(index), index);
  ASSERT_EQ(entries.size(), 2u);
  entries[0].hash = entries[1].hash;  // "empty" now claims hello's content with size 0
  meta.put(index, model::to_yaml(entries), store::PutMode::Overwrite);
  const auto r = mount(id);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("'empty' has size 0 but a root key that is not empty content's"), std::string::npos) << r.err;
  EXPECT_FALSE(find_mount(mnt));
}

TEST_F(IndexErrorMount, ASecondMountOnALiveMountPointIsRefused) {
  TempDir src;
  write_file(src / "f", "first");
  const auto id = ctx.upload(src.path());
  MountProcess first(ctx, id, mnt);
  ASSERT_TRUE(first.ready()) << first.log();
  const auto r = mount(id);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("already has a FUSE file system mounted on it"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(mnt / "f"), "first");
}

// In a pod the mount point is itself a volume (an emptyDir or hostPath mounted there): that is
// where the mount goes, not a reason to refuse (the failure the pod of tests/docker found).
TEST_F(IndexErrorMount, AMountPointThatIsAnotherFileSystemIsMountedOver) {
  TempDir src;
  write_file(src / "f", "bundle");
  const auto id = ctx.upload(src.path());
  ASSERT_EQ(::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1m"), 0) << std::strerror(errno);
  {
    MountProcess m(ctx, id, mnt);
    EXPECT_TRUE(m.ready()) << m.log();
    if (m.ready()) {
      EXPECT_EQ(read_file(mnt / "f"), "bundle");
    }
  }
  // The fixture's unmount may have taken the tmpfs too; whatever is left goes.
  for (int i = 0; i < 4 && find_mount(mnt); ++i) force_unmount(mnt);
}

}  // namespace
}  // namespace dm::test
