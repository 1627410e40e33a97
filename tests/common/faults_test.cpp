// Transfers under injected store faults (FaultInjectingStore is a test double for a misbehaving
// backend): every run either succeeds with byte-exact data or fails with a clear error, and a
// failed upload never leaves a bundle a reader would pick. Corruption is always caught.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "common/model/catalog.h"
#include "common/model/paths.h"
#include "common/store/counting_store.h"
#include "common/store/fault_injecting_store.h"
#include "common/store/local_store.h"
#include "common/transfer/download.h"
#include "common/transfer/upload.h"
#include "common/util/error.h"
#include "support/test_support.h"

namespace dm {
namespace {

namespace fs = std::filesystem;

class Faults : public ::testing::Test {
 protected:
  Faults() : meta_(dir_ / "meta"), vmeta_(dir_ / "vmeta"), blobs_(dir_ / "blob") {
    model::Catalog catalog(meta_, vmeta_);
    model::RepoDescriptor r;
    r.name = "repo";
    r.description = "a description";
    catalog.create_repo(r);
    src_ = dir_ / "src";
    for (int i = 0; i < 12; ++i) test::write_file(src_ / fmt::format("f{}", i), test::random_bytes(40000 * i + 3, i));
    test::write_file(src_ / "big", test::random_bytes(5 * 1024 * 1024 + 11, 99));
  }

  transfer::UploadOptions options(const std::string& label) {
    transfer::UploadOptions o;
    o.repo = "repo";
    o.message = "a message";
    o.label = label;
    o.concurrency = 4;
    o.show_progress = false;
    return o;
  }

  size_t committed_bundles() {
    size_t n = 0;
    meta_.list("bundles/", "", [&](const store::ListEntry& e) { n += e.name.ends_with("/bundle.yaml"); });
    return n;
  }

  test::TempDir dir_;
  store::LocalStore meta_, vmeta_, blobs_;
  fs::path src_;
};

TEST_F(Faults, UploadFailingAtEveryCallLeavesNoPartialBundle) {
  // Count the calls of a clean upload, then fail exactly call N for every N.
  store::CountingStore counting_meta(meta_), counting_blobs(blobs_);
  {
    model::Catalog catalog(counting_meta, vmeta_);
    transfer::upload_bundle(transfer::scan_tree(src_), catalog, counting_blobs, options("l"));
  }
  const size_t bundles_before = committed_bundles();
  const uint64_t meta_calls = counting_meta.gets + counting_meta.stats + counting_meta.puts + counting_meta.lists;
  int failures = 0;
  for (uint64_t n = 1; n <= meta_calls + 2; ++n) {
    store::FaultPlan plan;
    plan.fail_on_call = n;
    store::FaultInjectingStore faulty_meta(meta_, plan);
    model::Catalog catalog(faulty_meta, vmeta_);
    const size_t before = committed_bundles();
    try {
      transfer::upload_bundle(transfer::scan_tree(src_), catalog, blobs_, options("l"));
      EXPECT_EQ(committed_bundles(), before + 1);
    } catch (const Error& e) {
      ++failures;
      EXPECT_NE(std::string(e.what()).find("injected fault"), std::string::npos);
      // Before the commit point nothing is visible; after it (while labelling) the bundle is
      // complete and merely unlabelled.
      EXPECT_LE(committed_bundles(), before + 1) << "call " << n;
    }
    // The label never names a bundle without bundle.yaml.
    if (vmeta_.exists(model::label_path("repo", "l"))) {
      const auto label = model::parse_label(vmeta_.get(model::label_path("repo", "l")), "label");
      EXPECT_TRUE(meta_.exists(model::bundle_path("repo", label.id))) << "call " << n;
    }
  }
  EXPECT_GT(failures, 0);
  EXPECT_GT(committed_bundles(), bundles_before);
  std::printf("reliability: upload metadata calls failed one at a time=%llu, uploads failed cleanly=%d\n",
              static_cast<unsigned long long>(meta_calls + 2), failures);
}

TEST_F(Faults, FlakyBlobStoreEitherSucceedsExactlyOrFailsClearly) {
  int ok = 0, failed = 0;
  for (uint64_t seed = 1; seed <= 15; ++seed) {
    store::FaultPlan plan;
    plan.error_rate = 0.03;
    plan.seed = seed;
    store::FaultInjectingStore faulty(blobs_, plan);
    model::Catalog catalog(meta_, vmeta_);
    const size_t before = committed_bundles();
    try {
      const auto id = transfer::upload_bundle(transfer::scan_tree(src_), catalog, faulty, options("")).bundle_id;
      const auto b = catalog.get_bundle("repo", id);
      transfer::DownloadOptions o;
      o.show_progress = false;
      const auto out = dir_ / fmt::format("out{}", seed);
      transfer::download_bundle(b, catalog.get_entries("repo", b), blobs_, out, o);
      EXPECT_EQ(test::tree_contents(out, {".datamon"}), test::tree_contents(src_));
      ++ok;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Unavailable) << e.what();
      EXPECT_EQ(committed_bundles(), before);
      ++failed;
    }
  }
  EXPECT_GT(ok + failed, 0);
  EXPECT_GT(failed, 0) << "the plan injected no fault: the test proves nothing";
  std::printf("reliability: flaky blob store runs=%d exact=%d failed cleanly=%d\n", ok + failed, ok, failed);
}

TEST_F(Faults, CorruptOrShortReadsAreAlwaysCaught) {
  model::Catalog catalog(meta_, vmeta_);
  const auto id = transfer::upload_bundle(transfer::scan_tree(src_), catalog, blobs_, options("")).bundle_id;
  const auto b = catalog.get_bundle("repo", id);
  const auto entries = catalog.get_entries("repo", b);
  int caught = 0, clean = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    store::FaultPlan plan;
    plan.corrupt_rate = seed % 2 ? 0.05 : 0.0;
    plan.short_read_rate = seed % 2 ? 0.0 : 0.05;
    plan.seed = seed;
    store::FaultInjectingStore faulty(blobs_, plan);
    transfer::DownloadOptions o;
    o.show_progress = false;
    const auto out = dir_ / fmt::format("c{}", seed);
    try {
      transfer::download_bundle(b, entries, faulty, out, o);
      EXPECT_EQ(faulty.faults(), 0u) << "a damaged body got through, seed " << seed;
      EXPECT_EQ(test::tree_contents(out, {".datamon"}), test::tree_contents(src_));
      ++clean;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Corrupt) << e.what();
      ++caught;
    }
  }
  EXPECT_GT(caught, 0);
  std::printf("reliability: damaged-read downloads=%d caught=%d clean=%d\n", caught + clean, caught, clean);
}

}  // namespace
}  // namespace dm
