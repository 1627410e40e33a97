// Writer against a store where a create-if-absent is cheaper than a check (a local folder): new
// small blobs are created without a check once the store has said a few were absent, present
// ones are still judged (size, age) as a check would, and a re-upload writes nothing.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <chrono>

#include "common/cafs/hasher.h"
#include "common/cafs/presence_guess.h"
#include "common/cafs/reader.h"
#include "common/cafs/writer.h"
#include "common/store/counting_store.h"
#include "common/store/local_store.h"
#include "support/test_support.h"

namespace dm::cafs {
namespace {

constexpr uint32_t kLeaf = 64 * 1024;
constexpr int kFiles = 40;

// One leaf each: a leaf blob and a root blob per file, as a tree of small files gives.
std::vector<std::string> small_files(uint64_t seed) {
  std::vector<std::string> files;
  files.reserve(kFiles);
  for (int i = 0; i < kFiles; ++i) files.push_back(test::random_bytes(4096 + i, seed + i));
  return files;
}

// The same folder as a store that asks before it writes (as a remote store does).
class CheckFirstStore final : public store::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  bool write_first_is_cheaper() const override { return false; }
};

// The blob name of `data` stored as a file of one leaf.
std::string one_leaf_name(const std::string& data) {
  return leaf_key_at({reinterpret_cast<const uint8_t*>(data.data()), data.size()}, kLeaf, 0, 1).hex();
}

int64_t mtime_of(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mtim.tv_sec;
}

class WriterCreateFirst : public ::testing::Test {
 protected:
  test::TempDir dir_;
  store::LocalStore local_{dir_ / "blobs", true, true};
  store::CountingStore counted_{local_};
  ThreadPool pool_{2};
};

TEST(PresenceGuessTest, TurnsAfterARunAndBackAfterAnother) {
  PresenceGuess guess;
  EXPECT_TRUE(guess.likely_present());  // a writer checks until the store says otherwise
  for (int i = 0; i < PresenceGuess::kStart; ++i) guess.saw(false);
  EXPECT_TRUE(guess.likely_present());
  guess.saw(false);
  EXPECT_FALSE(guess.likely_present());
  for (int i = 0; i < 100; ++i) guess.saw(false);  // saturates: a long run does not delay the turn back
  for (int i = 0; i < PresenceGuess::kBound - 1; ++i) guess.saw(true);
  EXPECT_FALSE(guess.likely_present());
  guess.saw(true);
  EXPECT_TRUE(guess.likely_present());
}

TEST_F(WriterCreateFirst, NewSmallBlobsAreCreatedWithoutACheck) {
  ASSERT_TRUE(counted_.write_first_is_cheaper());  // the counting decorator passes the trait on
  Writer writer(counted_, kLeaf, pool_);
  const auto files = small_files(1);
  std::vector<Key> roots;
  for (const auto& f : files) {
    const auto put = writer.put_bytes(f);
    EXPECT_EQ(put.leaves_stored, 1u);
    roots.push_back(put.root);
  }
  const uint64_t blobs = uint64_t{2} * kFiles;
  // Checked until kStart + 1 absent blobs turned the guess, created first from then on.
  EXPECT_EQ(writer.stats().existence_checks.load(), uint64_t{PresenceGuess::kStart} + 1);
  EXPECT_EQ(writer.stats().created_first.load(), blobs - PresenceGuess::kStart - 1);
  EXPECT_EQ(writer.stats().found_by_create.load(), 0u);
  EXPECT_EQ(counted_.stats.load(), uint64_t{PresenceGuess::kStart} + 1);
  EXPECT_EQ(counted_.puts.load(), blobs);
  Reader reader(local_, kLeaf, false);
  for (int i = 0; i < kFiles; ++i) EXPECT_EQ(reader.fetch_leaf(reader.leaf_keys(roots[i]), 0), files[i]);
}

TEST_F(WriterCreateFirst, AReuploadWritesNothingAndTurnsBackToChecking) {
  Writer writer(counted_, kLeaf, pool_);
  const auto files = small_files(2);
  for (const auto& f : files) writer.put_bytes(f);
  const auto puts_before = counted_.puts.load();
  const auto checks_before = writer.stats().existence_checks.load();
  // The guess says "absent" when the re-upload starts: each create finds its blob there, until a
  // run of them turns it back; the rest are checked and none is written.
  for (const auto& f : files) {
    const auto again = writer.put_bytes(f);
    EXPECT_EQ(again.leaves_stored, 0u);
    EXPECT_FALSE(again.root_stored);
  }
  const auto wasted = writer.stats().found_by_create.load();
  EXPECT_GE(wasted, 1u);
  EXPECT_LE(wasted, uint64_t{PresenceGuess::kBound});
  EXPECT_EQ(counted_.puts.load() - puts_before, wasted);  // the failed creates; nothing else written
  EXPECT_EQ(writer.stats().existence_checks.load() - checks_before, 2u * kFiles);
  EXPECT_EQ(writer.stats().leaves_stored.load(), uint64_t{kFiles});
}

TEST_F(WriterCreateFirst, APresentBlobCutShortIsRewrittenWhole) {
  Writer writer(counted_, kLeaf, pool_);
  for (const auto& f : small_files(3)) writer.put_bytes(f);  // the guess is "absent" now
  ASSERT_GT(writer.stats().created_first.load(), 0u);
  // A blob left short by a power loss before an earlier writer's flush.
  const auto data = test::random_bytes(5000, 99);
  const auto leaf = one_leaf_name(data);
  local_.put(leaf, data.substr(0, 100), store::PutMode::NoOverwrite);
  const auto put = writer.put_bytes(data);
  EXPECT_EQ(put.leaves_stored, 1u);
  EXPECT_EQ(writer.stats().found_by_create.load(), 1u);
  EXPECT_EQ(local_.get(leaf), data);
}

TEST_F(WriterCreateFirst, APresentBlobOldEnoughForPurgeIsRefreshed) {
  Writer writer(counted_, kLeaf, pool_);
  for (const auto& f : small_files(4)) writer.put_bytes(f);
  const auto data = test::random_bytes(6000, 98);
  const auto leaf = one_leaf_name(data);
  local_.put(leaf, data, store::PutMode::NoOverwrite);
  const auto path = local_.root() / leaf;
  const timeval old[2] = {{1'000'000'000, 0}, {1'000'000'000, 0}};  // 2001
  ASSERT_EQ(::utimes(path.c_str(), old), 0);
  const auto put = writer.put_bytes(data);
  EXPECT_EQ(put.leaves_stored, 0u);  // a valid duplicate, not a new leaf
  EXPECT_EQ(writer.stats().found_by_create.load(), 1u);
  EXPECT_EQ(writer.stats().blobs_refreshed.load(), 1u);
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_GT(mtime_of(path), now - kRefreshAfterSeconds);
}

TEST_F(WriterCreateFirst, AStoreThatChecksCheaplyIsAlwaysAskedFirst) {
  CheckFirstStore remote_like(counted_);
  Writer writer(remote_like, kLeaf, pool_);
  for (const auto& f : small_files(5)) writer.put_bytes(f);
  EXPECT_EQ(writer.stats().created_first.load(), 0u);
  EXPECT_EQ(writer.stats().existence_checks.load(), 2u * kFiles);
  EXPECT_EQ(counted_.puts.load(), 2u * kFiles);
}

TEST_F(WriterCreateFirst, ALargeLeafIsCheckedEvenWhileNewBlobsAreCreated) {
  Writer writer(counted_, kDefaultLeafSize, pool_);
  for (const auto& f : small_files(6)) writer.put_bytes(f);
  const auto checks = writer.stats().existence_checks.load();
  // 2 MiB: written past the page cache by a local folder, so a wrong guess would cost a device
  // write; checked. Its root blob is small and created first.
  const auto put = writer.put_bytes(test::random_bytes(kDefaultLeafSize, 7));
  EXPECT_EQ(put.leaves_stored, 1u);
  EXPECT_EQ(writer.stats().existence_checks.load() - checks, 1u);
}

}  // namespace
}  // namespace dm::cafs
