// FolderCache: one descriptor per folder while files keep landing in it, bounded, never through
// a symlink planted in the destination.
#include "common/transfer/folder_cache.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "common/util/error.h"
#include "support/expect_error.h"
#include "support/test_support.h"

namespace dm::transfer {
namespace {

struct Destination {
  test::TempDir dir;
  UniqueFd fd{::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  dev_t dev() const {
    struct stat st {};
    EXPECT_EQ(::fstat(fd.get(), &st), 0);
    return st.st_dev;
  }
};

TEST(FolderCache, AFolderIsOpenedOnceAndCreatedWhenMissing) {
  Destination d;
  FolderCache folders(d.fd.get(), d.dir.path(), d.dev());
  const auto first = folders.open("a/b");
  const auto again = folders.open("a/b");
  EXPECT_EQ(first.get(), again.get()) << "the second file of a folder reopened it";
  EXPECT_TRUE(first->on_destination_device);
  EXPECT_TRUE(std::filesystem::is_directory(d.dir.path() / "a/b"));
  const auto top = folders.open("");
  struct stat st {};
  ASSERT_EQ(::fstat(top->fd.get(), &st), 0);
  struct stat want {};
  ASSERT_EQ(::fstat(d.fd.get(), &want), 0);
  EXPECT_EQ(st.st_ino, want.st_ino) << "an empty folder name is the destination itself";
}

TEST(FolderCache, HoldsAtMostItsBoundAndAHeldFolderOutlivesItsEviction) {
  Destination d;
  FolderCache folders(d.fd.get(), d.dir.path(), d.dev());
  const auto held = folders.open("held");
  for (size_t i = 0; i < FolderCache::kMaxOpen; ++i) folders.open(std::string("f").append(std::to_string(i)));
  EXPECT_NE(folders.open("held").get(), held.get()) << "the least recently used folder should have gone";
  struct stat st {};
  EXPECT_EQ(::fstat(held->fd.get(), &st), 0) << "a folder a caller holds must stay open";
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST(FolderCache, AUsedFolderStaysWhileOthersComeAndGo) {
  Destination d;
  FolderCache folders(d.fd.get(), d.dir.path(), d.dev());
  const auto busy = folders.open("busy");
  for (size_t i = 0; i < 3 * FolderCache::kMaxOpen; ++i) {
    folders.open(std::string("f").append(std::to_string(i)));
    EXPECT_EQ(folders.open("busy").get(), busy.get()) << "after " << i << " other folders";
  }
}

TEST(FolderCache, ASymlinkPlantedOnTheWayIsRefused) {
  Destination d;
  test::TempDir outside;
  std::filesystem::create_symlink(outside.path(), d.dir.path() / "link");
  FolderCache folders(d.fd.get(), d.dir.path(), d.dev());
  test::expect_error([&] { folders.open("link/sub"); }, ErrorKind::InvalidArgument, {"link", "symlink"});
  EXPECT_FALSE(std::filesystem::exists(outside.path() / "sub"));
}

}  // namespace
}  // namespace dm::transfer
