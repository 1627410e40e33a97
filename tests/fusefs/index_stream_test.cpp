// Catalog::for_each_index_file (common/model, added for the mount's start-up): index files
// fetched in parallel but consumed in order, one at a time, and stopped by the first error.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "common/model/catalog.h"
#include "common/model/ksuid.h"
#include "common/model/paths.h"
#include "common/store/local_store.h"
#include "common/util/error.h"
#include "support/expect_error.h"
#include "support/test_support.h"

namespace dm::model {
namespace {

class IndexStream : public ::testing::Test {
 protected:
  IndexStream() : meta_(dir_ / "meta"), vmeta_(dir_ / "vmeta"), catalog_(meta_, vmeta_) {
    std::vector<BundleEntry> entries;
    for (int i = 0; i < 3500; ++i) {
      BundleEntry e;
      e.hash = std::string(128, 'c');
      e.name = fmt::format("f{}", 100000 + i);
      e.size = static_cast<uint64_t>(i);
      entries.push_back(e);
    }
    bundle_.id = ksuid_new();
    bundle_.leaf_size = 2097152;
    catalog_.write_bundle("repo", bundle_, entries);
  }

  test::TempDir dir_;
  store::LocalStore meta_, vmeta_;
  Catalog catalog_;
  BundleDescriptor bundle_;
};

TEST_F(IndexStream, ConsumesEveryFileInOrderOneAtATime) {
  ASSERT_EQ(bundle_.count, 4u);
  std::vector<size_t> order;
  std::vector<BundleEntry> seen;
  std::atomic<int> inside{0};
  int most_inside = 0;
  catalog_.for_each_index_file("repo", bundle_, 4, [&](size_t n, const std::string& url, std::vector<BundleEntry> e) {
    most_inside = std::max(most_inside, ++inside);
    EXPECT_NE(url.find("bundle-files-" + std::to_string(n) + ".yaml"), std::string::npos) << url;
    order.push_back(n);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // room for an overlap, were there one
    std::move(e.begin(), e.end(), std::back_inserter(seen));
    --inside;
  });
  EXPECT_EQ(order, (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_EQ(most_inside, 1);
  EXPECT_EQ(seen, catalog_.get_entries("repo", bundle_));
}

TEST_F(IndexStream, AMissingFileStopsTheRestAndIsNamed) {
  std::filesystem::remove(dir_ / "meta" / index_path("repo", bundle_.id, 2));
  std::vector<size_t> order;
  test::expect_error(
      [&] {
        catalog_.for_each_index_file(
            "repo", bundle_, 3, [&](size_t n, const std::string&, std::vector<BundleEntry>) { order.push_back(n); });
      },
      ErrorKind::NotFound, {"bundle-files-2.yaml", bundle_.id});
  for (const auto n : order) EXPECT_LT(n, 2u);
}

TEST_F(IndexStream, AnErrorFromTheConsumerStopsTheRest) {
  std::vector<size_t> order;
  EXPECT_THROW(catalog_.for_each_index_file("repo", bundle_, 4,
                                            [&](size_t n, const std::string&, std::vector<BundleEntry>) {
                                              order.push_back(n);
                                              if (n == 1) throw Error(ErrorKind::Corrupt, "stop here");
                                            }),
               Error);
  EXPECT_EQ(order, (std::vector<size_t>{0, 1}));
}

}  // namespace
}  // namespace dm::model
