// BundleIndexBuilder: the table built file by file, and errors naming the index file at fault.
#include "fusefs/bundle_index_builder.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/util/error.h"
#include "support/expect_error.h"

namespace dm::fusefs {
namespace {

model::BundleEntry entry(const std::string& name, uint64_t size, std::string hash = std::string(128, 'b')) {
  model::BundleEntry e;
  e.hash = std::move(hash);
  e.name = name;
  e.size = size;
  return e;
}

std::vector<std::string> listing(const BundleIndex& index, Inode dir) {
  std::vector<std::string> out;
  for (const auto row : index.children(dir)) {
    const Inode ino = row + 1;
    out.push_back(index.is_dir(ino) ? fmt::format("{}/", index.path(ino))
                                    : fmt::format("{} {}", index.path(ino), index.size(ino)));
    if (index.is_dir(ino)) {
      for (auto& s : listing(index, ino)) out.push_back(std::move(s));
    }
  }
  return out;
}

TEST(BundleIndexBuilder, FileByFileGivesTheTableOfAllEntriesAtOnce) {
  std::vector<model::BundleEntry> all;
  for (int i = 0; i < 2500; ++i) {
    all.push_back(entry(fmt::format("d{}/s{}/f{}", i % 7, i % 3, i), i));
  }
  all.push_back(entry("top.txt", 9));
  const BundleIndex whole(all, "B", model::Timestamp{1700000000, 0, 0});
  BundleIndexBuilder builder("B", model::Timestamp{1700000000, 0, 0}, 1000);  // a low hint: the table grows
  for (size_t first = 0; first < all.size(); first += 1000) {
    const auto last = std::min(all.size(), first + 1000);
    builder.add({all.begin() + static_cast<ptrdiff_t>(first), all.begin() + static_cast<ptrdiff_t>(last)},
                "file-" + std::to_string(first / 1000));
  }
  const BundleIndex parts = std::move(builder).finish();
  EXPECT_EQ(parts.file_count(), 2501u);
  EXPECT_EQ(parts.inode_count(), whole.inode_count());
  EXPECT_EQ(parts.total_bytes(), whole.total_bytes());
  EXPECT_EQ(listing(parts, kRootInode), listing(whole, kRootInode));
  const auto d3 = parts.lookup(kRootInode, "d3");
  ASSERT_TRUE(d3);
  EXPECT_EQ(parts.subdir_count(*d3), 3u);
  const auto f = parts.lookup(*parts.lookup(*d3, "s1"), "f1900");
  ASSERT_TRUE(f);
  EXPECT_EQ(parts.size(*f), 1900u);
  EXPECT_EQ(parts.path(*f), "d3/s1/f1900");
}

TEST(BundleIndexBuilder, ADuplicateInTwoFilesNamesTheBundleAndBothFiles) {
  const auto msg = test::error_message([] {
    BundleIndexBuilder b("B7", {});
    b.add({entry("x/a", 1), entry("x/b", 1)}, "mem://meta/bundle-files-0.yaml");
    b.add({entry("x/c", 1), entry("x/a", 2)}, "mem://meta/bundle-files-1.yaml");
    (void)std::move(b).finish();
  });
  EXPECT_NE(msg.find("B7"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'x/a' appears twice"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bundle-files-0.yaml and mem://meta/bundle-files-1.yaml"), std::string::npos) << msg;
}

TEST(BundleIndexBuilder, AFileThatIsADirectoryInAnotherFileNamesBoth) {
  const auto msg = test::error_message([] {
    BundleIndexBuilder b("B8", {});
    b.add({entry("p/q/r", 1)}, "idx-0");
    b.add({entry("p/q", 1)}, "idx-1");
    (void)std::move(b).finish();
  });
  EXPECT_NE(msg.find("'p/q' is both a file and a directory"), std::string::npos) << msg;
  EXPECT_NE(msg.find("idx-0 and idx-1"), std::string::npos) << msg;
}

TEST(BundleIndexBuilder, BadEntriesNameTheirIndexFile) {
  const auto hash = test::error_message([] {
    BundleIndexBuilder b("B9", {});
    b.add({entry("ok", 1)}, "idx-0");
    b.add({entry("bad", 1, "0123")}, "idx-1");
  });
  EXPECT_NE(hash.find("B9"), std::string::npos) << hash;
  EXPECT_NE(hash.find("'bad' has a malformed hash (index file idx-1)"), std::string::npos) << hash;
  const auto name = test::error_message([] {
    BundleIndexBuilder b("B10", {});
    b.add({entry("../escape", 1)}, "idx-5");
  });
  EXPECT_NE(name.find("B10"), std::string::npos) << name;
  EXPECT_NE(name.find("'../escape'"), std::string::npos) << name;
  EXPECT_NE(name.find("(index file idx-5)"), std::string::npos) << name;
}

TEST(BundleIndexBuilder, AnAbsurdCountHintIsNotReservedAsIs) {
  // bundle.yaml's count drives the hint; a lie must not become an allocation of that size.
  BundleIndexBuilder b("B11", {}, size_t{1} << 50);
  b.add({entry("f", 1)}, "idx-0");
  const auto index = std::move(b).finish();
  EXPECT_EQ(index.file_count(), 1u);
}

}  // namespace
}  // namespace dm::fusefs
