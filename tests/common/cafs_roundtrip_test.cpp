// Writer and Reader together: sizes at leaf boundaries, dedupe, verification, legacy stride.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cafs/file_key.h"
#include "common/cafs/hasher.h"
#include "common/cafs/reader.h"
#include "common/cafs/root_blob.h"
#include "common/cafs/writer.h"
#include "common/store/local_store.h"
#include "common/util/error.h"
#include "common/util/unique_fd.h"
#include "support/expect_error.h"
#include "support/page_cache.h"
#include "support/test_support.h"

namespace dm::cafs {
namespace {

constexpr uint32_t kLeaf = 64 * 1024;  // small leaves keep the tests fast; the rules are the same

std::string read_back(Reader& reader, const Key& root, uint64_t size, const test::TempDir& dir) {
  const auto path = dir / "out.bin";
  const UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644));
  EXPECT_TRUE(fd.valid());
  ThreadPool pool(3);
  reader.read_file_to(root, size, fd.get(), path.string(), pool);
  return test::read_file(path);
}

class CafsSizes : public ::testing::TestWithParam<size_t> {};

TEST_P(CafsSizes, RoundTripIsByteExact) {
  const size_t size = GetParam();
  test::TempDir dir;
  store::LocalStore blobs(dir / "blobs");
  ThreadPool pool(3);
  Writer writer(blobs, kLeaf, pool);
  const auto data = test::random_bytes(size, size);
  test::write_file(dir / "in.bin", data);
  const auto put = writer.put_file(dir / "in.bin");
  EXPECT_EQ(put.size, size);
  EXPECT_EQ(put.leaves, (size + kLeaf - 1) / kLeaf);
  Reader reader(blobs, kLeaf, false);
  EXPECT_EQ(read_back(reader, put.root, size, dir), data);
}

INSTANTIATE_TEST_SUITE_P(Boundaries, CafsSizes,
                         ::testing::Values(0, 1, kLeaf - 1, kLeaf, kLeaf + 1, 3 * kLeaf, 3 * kLeaf + 7,
                                           20 * kLeaf + 3));

TEST(Cafs, EightMiBOfZerosStoresOneDistinctLeafPerPosition) {
  test::TempDir dir;
  store::LocalStore blobs(dir / "blobs");
  ThreadPool pool(2);
  Writer writer(blobs, kDefaultLeafSize, pool);
  const std::string zeros(8 * 1024 * 1024, '\0');
  const auto put = writer.put_bytes(zeros);
  EXPECT_EQ(put.leaves, 4u);
  // Offsets differ per position, so the four identical leaves have four keys.
  EXPECT_EQ(put.leaves_stored, 4u);
  Reader reader(blobs, kDefaultLeafSize, false);
  EXPECT_EQ(read_back(reader, put.root, zeros.size(), dir), zeros);
}

TEST(Cafs, TwentyMegabyteRandomFileRoundTrips) {
  test::TempDir dir;
  store::LocalStore blobs(dir / "blobs");
  ThreadPool pool(3);
  Writer writer(blobs, kDefaultLeafSize, pool);
  const auto data = test::random_bytes(20 * 1000 * 1000, 20);
  test::write_file(dir / "in.bin", data);
  const auto put = writer.put_file(dir / "in.bin");
  Reader reader(blobs, kDefaultLeafSize, false);
  EXPECT_EQ(read_back(reader, put.root, data.size(), dir), data);
}

TEST(Cafs, SecondUploadOfSameContentWritesNothing) {
  test::TempDir dir;
  store::LocalStore blobs(dir / "blobs");
  ThreadPool pool(2);
  Writer writer(blobs, kLeaf, pool);
  const auto data = test::random_bytes(5 * kLeaf + 9, 1);
  const auto first = writer.put_bytes(data);
  EXPECT_EQ(first.leaves_stored, 6u);
  EXPECT_TRUE(first.root_stored);
  const auto second = writer.put_bytes(data);
  EXPECT_EQ(second.root, first.root);
  EXPECT_EQ(second.leaves_stored, 0u);
  EXPECT_FALSE(second.root_stored);
}

TEST(Cafs, AFileThatHeldMoreIsCutToTheContent) {
  test::TempDir dir;
  store::LocalStore blobs(dir / "blobs");
  ThreadPool pool(2);
  Writer writer(blobs, kLeaf, pool);
  const auto data = test::random_bytes(2 * kLeaf + 5, 4);
  const auto put = writer.put_bytes(data);
  const auto path = dir / "out.bin";
  test::write_file(path, test::random_bytes(3 * kLeaf, 5));
  const UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  Reader reader(blobs, kLeaf, false);
  reader.read_file_to(put.root, data.size(), fd.get(), path.string(), pool);
  EXPECT_EQ(test::read_file(path), data);
}

// `data` stored in `dir`/blobs with full-size (2 MiB) leaves, and an empty file to read it back into.
struct FullLeafFile {
  store::LocalStore blobs;
  Key root;
  std::filesystem::path path;
  UniqueFd fd;

  FullLeafFile(const std::filesystem::path& dir, const std::string& data, ThreadPool& pool)
      : blobs(dir / "blobs"), root(Writer(blobs, kDefaultLeafSize, pool).put_bytes(data).root), path(dir / "out.bin") {
    fd = UniqueFd(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    EXPECT_TRUE(fd.valid()) << path;
  }
};

TEST(Cafs, ADownloadOfFullSizeLeavesIsByteExactAndBypassesThePageCache) {
  // Leaves of 2 MiB are written in parallel through a direct descriptor into preallocated space.
  test::DirectTempDir dir;
  ASSERT_TRUE(test::bypasses_page_cache(dir.path())) << dir.path() << " refuses O_DIRECT";
  ThreadPool pool(4);
  const auto data = test::random_bytes(6 * kDefaultLeafSize + 4097, 6);
  FullLeafFile file(dir.path(), data, pool);
  Reader reader(file.blobs, kDefaultLeafSize, false);
  reader.read_file_to(file.root, data.size(), file.fd.get(), file.path.string(), pool);
  EXPECT_EQ(test::resident_pages(file.fd.get(), 0, 6 * kDefaultLeafSize), 0U)
      << "the leaves went through the page cache";
  EXPECT_TRUE(test::read_file(file.path) == data);
}

TEST(Cafs, AnIndexSizeBeyondTheLeavesIsCorruptAndNotAllocated) {
  // The index's size is untrusted: space is allocated for what the verified leaf count can hold.
  test::TempDir dir;
  ThreadPool pool(2);
  FullLeafFile file(dir.path(), test::random_bytes(2 * kDefaultLeafSize + 1, 7), pool);
  Reader reader(file.blobs, kDefaultLeafSize, false);
  test::expect_error(
      [&] { reader.read_file_to(file.root, uint64_t{1} << 60, file.fd.get(), file.path.string(), pool); },
      ErrorKind::Corrupt, {"but the index says"});
  struct stat st {};
  ASSERT_EQ(::fstat(file.fd.get(), &st), 0);
  EXPECT_LE(static_cast<uint64_t>(st.st_blocks) * 512, 3 * uint64_t{kDefaultLeafSize} + 65536);
}

TEST(Cafs, KnownLeavesAreNotCheckedAgainstTheStore) {
  test::TempDir dir;
  store::LocalStore blobs(dir / "blobs");
  ThreadPool pool(2);
  const auto data = test::random_bytes(4 * kLeaf, 2);
  Writer first(blobs, kLeaf, pool);
  const auto put = first.put_bytes(data);
  Reader reader(blobs, kLeaf, false);
  const auto keys = reader.leaf_keys(put.root);
  KeySet known(keys.begin(), keys.end());
  Writer second(blobs, kLeaf, pool, &known);
  second.put_bytes(data);
  EXPECT_EQ(second.stats().existence_checks.load(), 1u);  // only the root blob
}

TEST(Cafs, CorruptLeafIsCaughtAndNamed) {
  test::TempDir dir;
  store::LocalStore blobs(dir / "blobs");
  ThreadPool pool(2);
  Writer writer(blobs, kLeaf, pool);
  const auto data = test::random_bytes(2 * kLeaf + 1, 3);
  const auto put = writer.put_bytes(data);
  Reader reader(blobs, kLeaf, false);
  const auto keys = reader.leaf_keys(put.root);
  auto bad = blobs.get(keys[1].hex());
  bad[10] ^= 1;
  blobs.put(keys[1].hex(), bad, store::PutMode::Overwrite);
  test::expect_error([&] { reader.fetch_leaf(keys, 1); }, ErrorKind::Corrupt, {keys[1].hex()});
  Reader unverified(blobs, kLeaf, false, /*verify=*/false);
  EXPECT_EQ(unverified.fetch_leaf(keys, 1), bad);
}

TEST(Cafs, MissingLeafIsNotFoundAndNamed) {
  test::TempDir dir;
  store::LocalStore blobs(dir / "blobs");
  ThreadPool pool(2);
  Writer writer(blobs, kLeaf, pool);
  const auto put = writer.put_bytes(test::random_bytes(kLeaf + 1, 4));
  Reader reader(blobs, kLeaf, false);
  const auto keys = reader.leaf_keys(put.root);
  blobs.remove(keys[0].hex());
  test::expect_error([&] { reader.fetch_leaf(keys, 0); }, ErrorKind::NotFound, {keys[0].hex()});
}

TEST(Cafs, RootBlobForAnotherFileIsRejected) {
  test::TempDir dir;
  store::LocalStore blobs(dir / "blobs");
  ThreadPool pool(2);
  Writer writer(blobs, kLeaf, pool);
  const auto a = writer.put_bytes("aaaa");
  const auto b = writer.put_bytes("bbbb");
  // Put b's root blob under a's name: checksum passes, but it names another root.
  blobs.put(a.root.hex(), blobs.get(b.root.hex()), store::PutMode::Overwrite);
  Reader reader(blobs, kLeaf, false);
  EXPECT_THROW(reader.leaf_keys(a.root), Error);
  blobs.put(a.root.hex(), std::string(100, 'x'), store::PutMode::Overwrite);
  EXPECT_THROW(reader.leaf_keys(a.root), Error);
}

// Legacy (version 0) bundles: leaves of L - 32768 bytes, still hashed with L in the parameter block.
TEST(Cafs, LegacyTruncatedLeavesAreReadWithTheShortStride) {
  const uint32_t L = 40000;
  const uint32_t stride = L - kLegacyLeafTruncation;
  test::TempDir dir;
  store::LocalStore blobs(dir / "blobs");
  const auto data = test::random_bytes(3 * stride + 100, 9);
  std::vector<Key> keys;
  const size_t n = 4;
  for (size_t i = 0; i < n; ++i) {
    const auto leaf = data.substr(i * stride, stride);
    const Key k = leaf_key_at({reinterpret_cast<const uint8_t*>(leaf.data()), leaf.size()}, L, i, n);
    blobs.put(k.hex(), leaf, store::PutMode::Overwrite);
    keys.push_back(k);
  }
  const Key root = root_key(keys, L);
  blobs.put(root.hex(), encode_root_blob(keys, root), store::PutMode::Overwrite);
  Reader reader(blobs, L, /*legacy=*/true);
  EXPECT_EQ(reader.stride(), stride);
  EXPECT_EQ(read_back(reader, root, data.size(), dir), data);
}

}  // namespace
}  // namespace dm::cafs

namespace dm::cafs {
namespace {

TEST(Cafs, FileRootKeyMatchesWhatTheWriterStores) {
  test::TempDir dir;
  store::LocalStore blobs(dir / "blobs");
  ThreadPool pool(2);
  Writer writer(blobs, kLeaf, pool);
  for (const size_t size : {size_t{0}, size_t{5}, size_t{kLeaf}, size_t{3 * kLeaf + 7}}) {
    const auto path = dir / std::string("f").append(std::to_string(size));
    test::write_file(path, test::random_bytes(size, size + 1));
    EXPECT_EQ(file_root_key(path, kLeaf), writer.put_file(path).root) << size;
  }
}

}  // namespace
}  // namespace dm::cafs
