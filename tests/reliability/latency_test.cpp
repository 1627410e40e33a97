// Latency, which `tc netem` would add on a real network but this kernel cannot (no sch_netem),
// injected with FaultInjectingStore instead: slow metadata and blob stores, alone and combined
// with failures and damaged bodies. Transfers still end byte-exact or with a clear error, and
// no bundle is committed by a failed upload.
#include <gtest/gtest.h>

#include <cstdio>

#include "common/model/catalog.h"
#include "common/store/fault_injecting_store.h"
#include "common/store/local_store.h"
#include "common/transfer/download.h"
#include "common/transfer/upload.h"
#include "common/util/error.h"
#include "support/test_support.h"

namespace dm {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class Latency : public ::testing::Test {
 protected:
  Latency() : meta_(dir_ / "meta"), vmeta_(dir_ / "vmeta"), blobs_(dir_ / "blob") {
    model::Catalog catalog(meta_, vmeta_);
    model::RepoDescriptor r;
    r.name = "repo";
    r.description = "d";
    catalog.create_repo(r);
    src_ = dir_ / "src";
    for (int i = 0; i < 16; ++i)
      test::write_file(src_ / ("d" + std::to_string(i % 4)) / ("f" + std::to_string(i)),
                       test::random_bytes(30000 * i + 7, 300 + i));
    test::write_file(src_ / "big", test::random_bytes(5 * 1024 * 1024 + 3, 301));
  }

  transfer::UploadOptions upload_options() const {
    transfer::UploadOptions o;
    o.repo = "repo";
    o.message = "m";
    o.label = "l";
    o.concurrency = 8;
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

TEST_F(Latency, SlowStoresStillRoundTripExactly) {
  store::FaultPlan slow;
  slow.latency = 4ms;
  store::FaultInjectingStore slow_meta(meta_, slow), slow_vmeta(vmeta_, slow), slow_blobs(blobs_, slow);
  model::Catalog catalog(slow_meta, slow_vmeta);
  const auto id = transfer::upload_bundle(transfer::scan_tree(src_), catalog, slow_blobs, upload_options()).bundle_id;
  const auto b = catalog.get_bundle("repo", id);
  transfer::DownloadOptions o;
  o.show_progress = false;
  o.concurrency = 8;
  transfer::download_bundle(b, catalog.get_entries("repo", b), slow_blobs, dir_ / "out", o);
  EXPECT_EQ(test::tree_contents(dir_ / "out", {".datamon"}), test::tree_contents(src_));
  EXPECT_GT(slow_blobs.calls(), 4U);
  std::printf("reliability: latency 4 ms on every call, store calls=%llu, round trip exact\n",
              static_cast<unsigned long long>(slow_meta.calls() + slow_vmeta.calls() + slow_blobs.calls()));
}

TEST_F(Latency, SlowAndFlakyOrDamagingStoresEndExactOrClear) {
  int exact = 0, failed = 0;
  uint64_t faults = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    store::FaultPlan plan;
    plan.latency = std::chrono::microseconds(500 * seed);
    plan.error_rate = 0.015;
    plan.seed = seed;
    store::FaultInjectingStore meta(meta_, plan), blobs(blobs_, plan);
    model::Catalog catalog(meta, vmeta_);
    const size_t before = committed_bundles();
    std::string id;
    try {
      id = transfer::upload_bundle(transfer::scan_tree(src_), catalog, blobs, upload_options()).bundle_id;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Unavailable) << e.what();
      EXPECT_EQ(committed_bundles(), before) << "a failed upload committed a bundle";
      ++failed;
      faults += meta.faults() + blobs.faults();
      continue;
    }
    // Download through a slow store that damages bodies: damage is always caught.
    store::FaultPlan damaging;
    damaging.latency = std::chrono::microseconds(300 * seed);
    damaging.corrupt_rate = 0.03;
    damaging.short_read_rate = 0.03;
    damaging.seed = seed;
    store::FaultInjectingStore bad_blobs(blobs_, damaging);
    model::Catalog plain(meta_, vmeta_);
    const auto b = plain.get_bundle("repo", id);
    transfer::DownloadOptions o;
    o.show_progress = false;
    o.concurrency = 8;
    const auto out = dir_ / ("out" + std::to_string(seed));
    try {
      transfer::download_bundle(b, plain.get_entries("repo", b), bad_blobs, out, o);
      EXPECT_EQ(test::tree_contents(out, {".datamon"}), test::tree_contents(src_)) << "seed " << seed;
      ++exact;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Corrupt) << e.what();
      ++failed;
    }
    faults += meta.faults() + blobs.faults() + bad_blobs.faults();
  }
  EXPECT_GT(faults, 0U) << "no fault injected: the test proves nothing";
  std::printf(
      "reliability: latency 0.3-4 ms with 1.5%% errors or 3%%+3%% damaged bodies, runs=8 exact=%d "
      "failed clearly=%d faults=%llu\n",
      exact, failed, static_cast<unsigned long long>(faults));
}

}  // namespace
}  // namespace dm
