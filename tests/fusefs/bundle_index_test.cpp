// BundleIndex: the inode table built from a bundle's entries.
#include "fusefs/bundle_index.h"

#include <gtest/gtest.h>

#include "common/util/error.h"
#include "support/expect_error.h"

namespace dm::fusefs {
namespace {

const std::string kHash(128, 'a');

model::BundleEntry file_entry(const std::string& name, uint64_t size, uint32_t mode = 0) {
  model::BundleEntry e;
  e.hash = kHash;
  e.name = name;
  e.size = size;
  e.mode = mode;
  return e;
}

TEST(BundleIndex, ImpliesDirectoriesAndSortsChildren) {
  const BundleIndex index(
      {file_entry("b/z.txt", 3), file_entry("a.txt", 5, 0755), file_entry("b/c/d", 7), file_entry("/b/a", 1)}, "B",
      model::Timestamp{1700000000, 5, 0});
  EXPECT_EQ(index.file_count(), 4u);
  EXPECT_EQ(index.inode_count(), 7u);  // root, a.txt, b, b/z.txt, b/c, b/c/d, b/a
  EXPECT_EQ(index.total_bytes(), 16u);
  const auto a = index.lookup(kRootInode, "a.txt");
  ASSERT_TRUE(a);
  EXPECT_FALSE(index.is_dir(*a));
  EXPECT_TRUE(index.executable(*a));
  EXPECT_EQ(index.size(*a), 5u);
  EXPECT_EQ(index.mtime_seconds(*a), 1700000000);
  const auto b = index.lookup(kRootInode, "b");
  ASSERT_TRUE(b);
  EXPECT_TRUE(index.is_dir(*b));
  EXPECT_EQ(index.subdir_count(*b), 1u);
  std::vector<std::string> names;
  for (auto row : index.children(*b)) names.emplace_back(index.name(row + 1));
  EXPECT_EQ(names, (std::vector<std::string>{"a", "c", "z.txt"}));
  const auto d = index.lookup(*index.lookup(*b, "c"), "d");
  ASSERT_TRUE(d);
  EXPECT_EQ(index.path(*d), "b/c/d");
  EXPECT_EQ(index.parent(*d), *index.lookup(*b, "c"));
  EXPECT_FALSE(index.lookup(*b, "missing"));
  EXPECT_FALSE(index.lookup(*b, "b"));
  EXPECT_EQ(index.parent(kRootInode), kRootInode);
}

TEST(BundleIndex, RejectsUnsafeNamesNamingThem) {
  test::expect_error(
      [] {
        BundleIndex index({file_entry("ok", 1), file_entry("a/../../etc/passwd", 1)}, "B1", {});
      },
      ErrorKind::InvalidArgument, {"a/../../etc/passwd"});
}

TEST(BundleIndex, RejectsAFileThatIsAlsoADirectory) {
  test::expect_error(
      [] {
        BundleIndex index({file_entry("a", 1), file_entry("a/b", 1)}, "B2", {});
      },
      ErrorKind::Corrupt, {"'a'"});
  EXPECT_THROW(BundleIndex({file_entry("x", 1), file_entry("x", 2)}, "B3", {}), Error);
}

TEST(BundleIndex, RejectsMalformedHash) {
  auto e = file_entry("f", 1);
  e.hash = "xyz";
  EXPECT_THROW(BundleIndex({e}, "B4", {}), Error);
}

TEST(BundleIndex, HundredThousandEntriesStayCompact) {
  std::vector<model::BundleEntry> entries;
  entries.reserve(100000);
  for (int i = 0; i < 100000; ++i) {
    entries.push_back(file_entry("dir" + std::to_string(i % 100) + "/file-" + std::to_string(i) + ".bin", i));
  }
  const BundleIndex index(entries, "B5", {});
  EXPECT_EQ(index.file_count(), 100000u);
  EXPECT_LE(index.memory_bytes() / index.file_count(), 200u) << index.memory_bytes();
  const auto dir = index.lookup(kRootInode, "dir42");
  ASSERT_TRUE(dir);
  const auto f = index.lookup(*dir, "file-99942.bin");
  ASSERT_TRUE(f);
  EXPECT_EQ(index.size(*f), 99942u);
  EXPECT_EQ(index.children(*dir).size(), 1000u);
}

}  // namespace
}  // namespace dm::fusefs
