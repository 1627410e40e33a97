// Reader::fetch_leaf_streamed on every backend: a leaf hashed while its bytes arrive (an HTTP
// body in pieces, a local pread at once) verifies exactly as the whole-leaf check does, and a
// leaf whose bytes were replaced in the store, at the same length or another, is refused. A
// download that is cut and retried (FakeHttpServer: no real server cuts a body on demand) is
// hashed afresh from the retry's first byte.
#include <gtest/gtest.h>

#include <atomic>
#include <span>

#include "common/cafs/hasher.h"
#include "common/cafs/reader.h"
#include "common/cafs/writer.h"
#include "common/util/error.h"
#include "common/util/thread_pool.h"
#include "stores/backends.h"
#include "stores/fake_http_server.h"
#include "support/expect_error.h"
#include "support/test_support.h"

namespace dm::test {
namespace {

constexpr uint32_t kLeaf = 1 << 20;

size_t fetch(cafs::Reader& reader, std::span<const cafs::Key> keys, size_t i, std::string& out) {
  return reader.fetch_leaf_streamed(keys, i, [&](size_t size) {
    out.assign(size, '\0');
    return std::span<char>(out.data(), size);
  });
}

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

// One leaf served by a fake S3 whose first answer for it is cut half-way (the connection
// closes before Content-Length bytes): the client retries, Store::read_into asks for the buffer
// again, and the hash must start over on the second body, not go on from the first.
class CutLeafServer {
 public:
  CutLeafServer(std::string leaf, std::string second_body)
      : leaf_(std::move(leaf)), second_(std::move(second_body)), server_([this](const FakeRequest&) {
          const unsigned n = gets_.fetch_add(1);
          FakeResponse r;
          r.body = n == 0 ? leaf_ : second_;
          r.fault = n == 0 ? FakeResponse::Fault::ShortBody : FakeResponse::Fault::None;
          return r;
        }) {}
  std::unique_ptr<store::S3Store> store() const { return s3_store_on(server_.url(), "b"); }
  unsigned gets() const { return gets_.load(); }

 private:
  std::string leaf_;
  std::string second_;
  std::atomic<unsigned> gets_{0};
  FakeHttpServer server_;
};

std::vector<cafs::Key> keys_of_one_leaf(const std::string& leaf) {
  return {cafs::leaf_key_at({reinterpret_cast<const uint8_t*>(leaf.data()), leaf.size()}, kLeaf, 0, 1)};
}

TEST(LeafStreamingRetry, ACutDownloadIsHashedAfreshOnItsRetry) {
  const auto leaf = random_bytes(kLeaf, 11);
  const auto keys = keys_of_one_leaf(leaf);
  CutLeafServer server(leaf, leaf);
  const auto store = server.store();
  cafs::Reader reader(*store, kLeaf, false);
  std::string out;
  ASSERT_EQ(fetch(reader, keys, 0, out), leaf.size());
  EXPECT_EQ(out, leaf);
  EXPECT_EQ(server.gets(), 2U);
}

TEST(LeafStreamingRetry, ARetryThatBringsOtherBytesIsRefused) {
  const auto leaf = random_bytes(kLeaf, 12);
  auto other = leaf;
  other[kLeaf - 1] ^= 0x40;  // after the cut: only the second body has it
  const auto keys = keys_of_one_leaf(leaf);
  CutLeafServer server(leaf, other);
  const auto store = server.store();
  cafs::Reader reader(*store, kLeaf, false);
  std::string out;
  expect_error([&] { fetch(reader, keys, 0, out); }, ErrorKind::Corrupt, {keys[0].hex(), "fails hash verification"});
}

INSTANTIATE_TEST_SUITE_P(Stores, LeafStreaming,
                         ::testing::Values(local_backend(), s3_rgw_backend(), gcs_emulator_backend(),
                                           gcs_fake_backend()),
                         backend_name);

}  // namespace
}  // namespace dm::test
