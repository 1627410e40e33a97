// Reader::fetch_leaf_streamed on every backend: a leaf hashed while its bytes arrive (an HTTP
// body in pieces, a local pread at once) verifies exactly as the whole-leaf check does, and a
// leaf whose bytes were replaced in the store, at the same length or another, is refused.
#include <gtest/gtest.h>

#include <span>

#include "common/cafs/reader.h"
#include "common/cafs/writer.h"
#include "common/util/error.h"
#include "common/util/thread_pool.h"
#include "stores/backends.h"
#include "support/expect_error.h"
#include "support/test_support.h"

namespace dm::test {
namespace {

constexpr uint32_t kLeaf = 1 << 20;

class LeafStreaming : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    harness_ = GetParam().make();
    ASSERT_TRUE(harness_.store);
  }
  store::Store& s() { return *harness_.store; }

  // Stores `data` as a file; returns its leaf keys.
  std::vector<cafs::Key> put(std::string_view data) {
    ThreadPool pool(2);
    cafs::Writer writer(s(), kLeaf, pool);
    const auto root = writer.put_bytes(data).root;
    cafs::Reader reader(s(), kLeaf, false);
    return reader.leaf_keys(root);
  }

  static size_t fetch(cafs::Reader& reader, std::span<const cafs::Key> keys, size_t i, std::string& out) {
    return reader.fetch_leaf_streamed(keys, i, [&](size_t size) {
      out.assign(size, '\0');
      return std::span<char>(out.data(), size);
    });
  }

  StoreHarness harness_;
};

TEST_P(LeafStreaming, FullAndPartialLeavesVerifyAsTheyArrive) {
  const auto data = random_bytes(2 * kLeaf + 12345, 7);  // two full leaves and a short last one
  const auto keys = put(data);
  ASSERT_EQ(keys.size(), 3u);
  cafs::Reader reader(s(), kLeaf, false);
  std::string out;
  for (size_t i = 0; i < keys.size(); ++i) {
    const size_t length = fetch(reader, keys, i, out);
    EXPECT_EQ(std::string_view(out.data(), length), std::string_view(data).substr(i * kLeaf, kLeaf)) << i;
  }
  std::string whole;  // fetch_leaf_into takes the same path
  reader.fetch_leaf_into(keys, 2, whole);
  EXPECT_EQ(whole, data.substr(2 * kLeaf));
}

TEST_P(LeafStreaming, ReplacedLeafBytesAreRefusedNamingTheLeaf) {
  const auto data = random_bytes(kLeaf + 100, 8);
  const auto keys = put(data);
  ASSERT_EQ(keys.size(), 2u);
  const auto name = keys[0].hex();
  auto damaged = data.substr(0, kLeaf);
  damaged[kLeaf - 1] ^= 0x01;  // the very last byte: caught only once the whole body is in
  s().put(name, damaged, store::PutMode::Overwrite);
  cafs::Reader reader(s(), kLeaf, false);
  std::string out;
  expect_error([&] { fetch(reader, keys, 0, out); }, ErrorKind::Corrupt, {name, "fails hash verification"});
  s().put(name, damaged.substr(0, 1000), store::PutMode::Overwrite);  // another length
  expect_error([&] { fetch(reader, keys, 0, out); }, ErrorKind::Corrupt, {name});
  s().put(name, damaged + "x", store::PutMode::Overwrite);  // longer than a leaf
  expect_error([&] { fetch(reader, keys, 0, out); }, ErrorKind::Corrupt, {name});
  cafs::Reader unverified(s(), kLeaf, false, false);  // verification off: served as stored
  s().put(name, damaged, store::PutMode::Overwrite);
  EXPECT_EQ(fetch(unverified, keys, 0, out), kLeaf);
  EXPECT_EQ(out, damaged);
}

TEST_P(LeafStreaming, MissingLeafIsNotFoundNamingIt) {
  const auto keys = put(random_bytes(1000, 9));
  s().remove(keys[0].hex());
  cafs::Reader reader(s(), kLeaf, false);
  std::string out;
  expect_error([&] { fetch(reader, keys, 0, out); }, ErrorKind::NotFound, {keys[0].hex(), "is missing"});
}

INSTANTIATE_TEST_SUITE_P(Stores, LeafStreaming,
                         ::testing::Values(local_backend(), s3_rgw_backend(), gcs_emulator_backend(),
                                           gcs_fake_backend()),
                         backend_name);

}  // namespace
}  // namespace dm::test
