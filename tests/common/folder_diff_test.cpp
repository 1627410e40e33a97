// bundle diff / update on a local context: the diff names what differs by content, an update
// fetches only the files that differ (counted on the blob store) and leaves the folder equal
// to the bundle; repo delete removes a repo's metadata and never a blob another repo needs.
#include "common/transfer/folder_diff.h"

#include <gtest/gtest.h>

#include "common/model/catalog.h"
#include "common/model/paths.h"
#include "common/model/repo_delete.h"
#include "common/store/counting_store.h"
#include "common/store/local_store.h"
#include "common/transfer/download.h"
#include "common/transfer/upload.h"
#include "common/util/error.h"
#include "support/expect_error.h"
#include "support/test_support.h"

namespace dm {
namespace {

namespace fs = std::filesystem;

class FolderDiff : public ::testing::Test {
 protected:
  FolderDiff() : meta_(dir_ / "meta"), vmeta_(dir_ / "vmeta"), blobs_(dir_ / "blob"), catalog_(meta_, vmeta_) {
    for (const std::string& name : {std::string("repo"), std::string("other")}) {
      model::RepoDescriptor r;
      r.name = name;
      r.description = std::string("d");  // assigning the literal trips GCC 12's false -Wrestrict at -O3
      catalog_.create_repo(r);
    }
  }

  std::string upload(const fs::path& src, const std::string& repo = "repo") {
    transfer::UploadOptions o;
    o.repo = repo;
    o.message = std::string("m");
    o.contributor = {"t", "t@example.com"};
    o.show_progress = false;
    return transfer::upload_bundle(transfer::scan_tree(src), catalog_, blobs_, o).bundle_id;
  }

  transfer::DownloadOptions quiet() const {
    transfer::DownloadOptions o;
    o.show_progress = false;
    return o;
  }

  test::TempDir dir_;
  store::LocalStore meta_, vmeta_, blobs_;
  model::Catalog catalog_;
};

TEST_F(FolderDiff, DiffNamesAddedDeletedAndChangedFiles) {
  const auto src = dir_ / "src";
  test::write_file(src / "same", "same");
  test::write_file(src / "changed", "remote version");
  test::write_file(src / "sub/added", "only in the bundle");
  const auto id = upload(src);
  const auto b = catalog_.get_bundle("repo", id);
  const auto entries = catalog_.get_entries("repo", b);

  const auto local = dir_ / "local";
  test::write_file(local / "same", "same");
  test::write_file(local / "changed", "local versio");  // same size, other bytes: hashed
  test::write_file(local / "extra", "only here");
  test::write_file(local / ".datamon/x.yaml", "not content");
  const auto diff = transfer::diff_folder(local, b, entries);
  ASSERT_EQ(diff.size(), 3U);
  EXPECT_EQ(diff[0].name, "changed");
  EXPECT_EQ(diff[0].type, transfer::EntryDiff::Type::Dif);
  EXPECT_EQ(diff[0].existing.size, 12U);
  EXPECT_NE(diff[0].existing.hash, diff[0].additional.hash);
  EXPECT_EQ(diff[1].name, "extra");
  EXPECT_EQ(diff[1].type, transfer::EntryDiff::Type::Del);
  EXPECT_EQ(diff[2].name, "sub/added");
  EXPECT_EQ(diff[2].type, transfer::EntryDiff::Type::Add);
  EXPECT_EQ(diff[2].existing.size, 0U);
  EXPECT_TRUE(transfer::diff_folder(src, b, entries).empty());
}

TEST_F(FolderDiff, UpdateFetchesOnlyWhatDiffers) {
  const auto src = dir_ / "src";
  for (int i = 0; i < 6; ++i)
    test::write_file(src / std::string("f").append(std::to_string(i)), test::random_bytes(300000, i));
  const auto first = upload(src);
  const auto local = dir_ / "local";
  {
    const auto b = catalog_.get_bundle("repo", first);
    transfer::download_bundle(b, catalog_.get_entries("repo", b), blobs_, local, quiet());
  }
  // The next bundle changes one file, adds one and drops one.
  test::write_file(src / "f1", test::random_bytes(300000, 101));
  test::write_file(src / "new", test::random_bytes(1000, 7));
  fs::remove(src / "f5");
  const auto second = upload(src);
  const auto b = catalog_.get_bundle("repo", second);
  const auto entries = catalog_.get_entries("repo", b);

  store::CountingStore counting(blobs_);
  const auto result = transfer::update_folder(local, b, entries, counting, quiet());
  EXPECT_EQ(result.fetched, 2U);
  EXPECT_EQ(result.kept, 4U);
  EXPECT_EQ(result.removed, 1U);
  EXPECT_EQ(test::tree_contents(local, {".datamon"}), test::tree_contents(src));
  // Two one-leaf files: their leaves and root blobs; nothing of the four unchanged files.
  EXPECT_GE(counting.gets.load(), 2U);
  EXPECT_LE(counting.gets.load(), 4U);
  EXPECT_GE(counting.bytes_in.load(), 301000U);
  EXPECT_LE(counting.bytes_in.load(), 301000U + 4096U);

  // Already equal: nothing is read.
  store::CountingStore again(blobs_);
  const auto none = transfer::update_folder(local, b, entries, again, quiet());
  EXPECT_EQ(none.fetched, 0U);
  EXPECT_EQ(again.gets.load() + again.stats.load(), 0U);
}

TEST_F(FolderDiff, RepoDeleteRemovesMetadataAndNoBlob) {
  const auto src = dir_ / "src";
  test::write_file(src / "shared", test::random_bytes(500000, 3));
  const auto gone = upload(src, "repo");
  const auto kept = upload(src, "other");  // the same content: the same blobs
  model::LabelDescriptor l;
  l.name = "v1";
  l.id = gone;
  catalog_.set_label("repo", l);
  size_t blobs_before = 0;
  blobs_.list("", "", [&](const store::ListEntry&) { ++blobs_before; });

  model::delete_repo(catalog_, "repo");
  EXPECT_THROW(catalog_.get_repo("repo"), Error);
  size_t left = 0;
  meta_.list(model::bundle_prefix("repo"), "", [&](const store::ListEntry&) { ++left; });
  vmeta_.list(model::label_prefix("repo"), "", [&](const store::ListEntry&) { ++left; });
  EXPECT_EQ(left, 0U);
  size_t blobs_after = 0;
  blobs_.list("", "", [&](const store::ListEntry&) { ++blobs_after; });
  EXPECT_EQ(blobs_after, blobs_before);
  const auto b = catalog_.get_bundle("other", kept);
  transfer::download_bundle(b, catalog_.get_entries("other", b), blobs_, dir_ / "out", quiet());
  EXPECT_EQ(test::tree_contents(dir_ / "out", {".datamon"}), test::tree_contents(src));
  test::expect_error([&] { model::delete_repo(catalog_, "repo"); }, ErrorKind::NotFound, {"'repo'"});
}

}  // namespace
}  // namespace dm
