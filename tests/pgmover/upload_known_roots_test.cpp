// The upload hook the pg commit relies on: a file whose root key the caller vouches for is
// neither read nor hashed and costs no store request; the others are uploaded as usual.
#include <gtest/gtest.h>

#include "common/model/catalog.h"
#include "common/store/counting_store.h"
#include "common/store/local_store.h"
#include "common/transfer/upload.h"
#include "support/test_support.h"

namespace dm {
namespace {

namespace fs = std::filesystem;

TEST(UploadKnownRoots, AVouchedFileIsNotReadAndCostsNoRequest) {
  test::TempDir dir;
  store::LocalStore meta(dir / "meta"), vmeta(dir / "vmeta"), blob_store(dir / "blob");
  model::Catalog catalog(meta, vmeta);
  model::RepoDescriptor repo;
  repo.name = "repo";
  repo.description = "d";
  catalog.create_repo(repo);
  store::CountingStore blobs(blob_store);

  test::write_file(dir / "src" / "big", test::gen_bytes(5 * 1024 * 1024 + 7));
  test::write_file(dir / "src" / "small", "small");
  transfer::UploadOptions o;
  o.repo = "repo";
  o.message = "first";
  o.contributor = {"t", "t@example.com"};
  o.show_progress = false;
  const auto first = transfer::upload_bundle(transfer::scan_tree(dir / "src"), catalog, blobs, o);
  const auto entries = catalog.get_entries("repo", catalog.get_bundle("repo", first.bundle_id), 2);
  ASSERT_EQ(entries.size(), 2U);
  const auto big_key = *cafs::Key::from_hex(entries[0].name == "big" ? entries[0].hash : entries[1].hash);

  // "big" is vouched for and its path no longer exists: reading it would fail.
  std::vector<transfer::SourceFile> files = {{"big", dir / "gone", 0644, 5 * 1024 * 1024 + 7},
                                             {"small", dir / "src" / "small", 0644, 5}};
  const std::map<std::string, cafs::Key> known = {{"big", big_key}};
  o.message = "second";
  o.known_roots = &known;
  const auto gets = blobs.gets.load(), stats = blobs.stats.load(), puts = blobs.puts.load();
  const auto second = transfer::upload_bundle(files, catalog, blobs, o);
  EXPECT_EQ(second.files_known, 1U);
  EXPECT_EQ(second.leaves, 3U + 1U);
  EXPECT_EQ(blobs.gets.load(), gets);
  EXPECT_EQ(blobs.stats.load() - stats, 2U) << "only the small file's leaf and root are checked";
  EXPECT_EQ(blobs.puts.load(), puts) << "the small file was already stored";
  const auto again = catalog.get_entries("repo", catalog.get_bundle("repo", second.bundle_id), 2);
  ASSERT_EQ(again.size(), entries.size());
  for (size_t i = 0; i < again.size(); ++i) {
    EXPECT_EQ(again[i].name, entries[i].name);
    EXPECT_EQ(again[i].hash, entries[i].hash);
    EXPECT_EQ(again[i].size, entries[i].size);
  }
}

}  // namespace
}  // namespace dm
