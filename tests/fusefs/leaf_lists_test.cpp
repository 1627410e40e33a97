// LeafLists: a file's leaf keys are read from its root blob once, however many readers ask at
// once (single-flight), and a failed read reaches every waiting reader without being kept.
#include "fusefs/leaf_lists.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "common/cafs/writer.h"
#include "common/store/counting_store.h"
#include "common/store/fault_injecting_store.h"
#include "common/store/local_store.h"
#include "common/util/error.h"
#include "common/util/thread_pool.h"
#include "support/test_support.h"

namespace dm::fusefs {
namespace {

constexpr uint32_t kLeaf = 64 * 1024;
constexpr int kReaders = 8;

struct Fixture {
  test::TempDir dir;
  store::LocalStore local{dir / "blob"};
  store::CountingStore counting{local};
  // Every read takes long enough for all the readers to ask while the first one is reading.
  store::FaultInjectingStore slow{counting, {.latency = std::chrono::milliseconds(200)}};
  cafs::Reader reader{slow, kLeaf, false, true};
  std::string content = test::random_bytes(5 * kLeaf + 7, 3);
  cafs::Key root;
  std::optional<BundleIndex> index;
  Inode file = 0;

  Fixture() {
    ThreadPool pool(2);
    cafs::Writer writer(local, kLeaf, pool);
    root = writer.put_bytes(content).root;
    model::BundleEntry entry;
    entry.hash = root.hex();
    entry.name = "data.bin";
    entry.size = content.size();
    index.emplace(std::vector<model::BundleEntry>{entry}, "B", model::Timestamp{1700000000, 0, 0});
    file = *index->lookup(kRootInode, "data.bin");
    counting.gets = 0;
  }
};

// Runs `read` on kReaders threads started together.
template <class Read>
void on_readers(Read read) {
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kReaders; ++t) {
    threads.emplace_back([&, t] {
      ++ready;
      while (ready.load() < kReaders) std::this_thread::yield();
      read(t);
    });
  }
  for (auto& thread : threads) thread.join();
}

TEST(LeafLists, ConcurrentFirstReadsOfAFileFetchItsRootBlobOnce) {
  Fixture f;
  LeafLists lists(*f.index, f.reader);
  std::vector<LeafList> got(kReaders);
  on_readers([&](int t) { got[t] = lists.get(f.file); });
  EXPECT_EQ(f.counting.gets.load(), 1u);
  ASSERT_NE(got[0], nullptr);
  EXPECT_EQ(got[0]->size(), 6u);
  for (const auto& list : got) EXPECT_EQ(list.get(), got[0].get());  // the one list, shared
  EXPECT_EQ(lists.known(f.file).get(), got[0].get());
}

TEST(LeafLists, AFailedRootReadReachesEveryWaitingReaderAndIsNotKept) {
  Fixture f;
  const auto name = f.root.hex();
  const auto blob = f.local.get(name);
  f.local.remove(name);
  f.counting.gets = 0;
  LeafLists lists(*f.index, f.reader);
  std::atomic<int> not_found{0};
  on_readers([&](int) {
    try {
      lists.get(f.file);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::NotFound && std::string(e.what()).find(name) != std::string::npos) ++not_found;
    }
  });
  EXPECT_EQ(not_found.load(), kReaders);
  EXPECT_EQ(f.counting.gets.load(), 1u);
  EXPECT_EQ(lists.known(f.file), nullptr);
  f.local.put(name, blob, store::PutMode::Overwrite);  // repaired: the next read succeeds
  EXPECT_EQ(lists.get(f.file)->size(), 6u);
  EXPECT_EQ(f.counting.gets.load(), 2u);
}

}  // namespace
}  // namespace dm::fusefs
