// BlockCache, FetchQueue, DiskCache, Readahead and byte sizes, over a real LocalStore in a TempDir.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <thread>

#include "common/cafs/writer.h"
#include "common/store/counting_store.h"
#include "common/store/fault_injecting_store.h"
#include "common/store/local_store.h"
#include "common/store/store_wrapper.h"
#include "common/util/error.h"
#include "fusefs/block_cache.h"
#include "fusefs/byte_size.h"
#include "fusefs/fetch_queue.h"
#include "fusefs/readahead.h"
#include "support/expect_error.h"
#include "support/test_support.h"

namespace dm::fusefs {
namespace {

using test::TempDir;

// Records which thread last fetched each object (every other call passes through).
class FetcherRecordingStore final : public store::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  std::string get(std::string_view name) override {
    record(name);
    return StoreWrapper::get(name);
  }
  size_t read_into(std::string_view name, uint64_t max_size, const BufferFor& buffer_for,
                   const OnArrived& on_arrived) override {
    record(name);
    return StoreWrapper::read_into(name, max_size, buffer_for, on_arrived);
  }
  std::thread::id fetched_by(const std::string& name) {
    std::lock_guard lock(mutex_);
    return fetched_by_[name];
  }

 private:
  void record(std::string_view name) {
    std::lock_guard lock(mutex_);
    fetched_by_[std::string(name)] = std::this_thread::get_id();
  }
  std::mutex mutex_;
  std::map<std::string, std::thread::id> fetched_by_;  // object -> thread that last fetched it
};

constexpr uint32_t kLeaf = 64 * 1024;

struct Fixture {
  TempDir dir;
  store::LocalStore local{dir / "blob"};
  // Counts the reads that reach the real store; `slow` can delay them so concurrent readers overlap.
  store::CountingStore counting{local};
  FetcherRecordingStore recorder{counting};
  store::FaultInjectingStore slow{recorder, {}};
  FetchQueue queue{4, 4};
  Metrics metrics;
  cafs::Reader reader{slow, kLeaf, false, true};
  std::string content = test::random_bytes(10 * kLeaf + 123, 7);
  LeafList leaves;

  Fixture() {
    ThreadPool writer_pool(2);
    cafs::Writer writer(local, kLeaf, writer_pool);
    const auto put = writer.put_bytes(content);
    leaves = std::make_shared<const std::vector<cafs::Key>>(reader.leaf_keys(put.root));
    counting.gets = 0;
  }
  std::string expected(size_t i) const { return content.substr(i * kLeaf, kLeaf); }
};

TEST(BlockCache, OneFetchPerLeafHoweverManyReaders) {
  Fixture f;
  f.slow.set_plan({.latency = std::chrono::milliseconds(50)});
  BlockCache cache(f.reader, f.queue, f.metrics, {});
  std::vector<std::thread> readers;
  std::atomic<int> good{0};
  for (int t = 0; t < 8; ++t) {
    readers.emplace_back([&] {
      if (*cache.get(f.leaves, 3) == f.expected(3)) ++good;
    });
  }
  for (auto& r : readers) r.join();
  EXPECT_EQ(good, 8);
  EXPECT_EQ(f.counting.gets.load(), 1u);
  EXPECT_EQ(f.metrics.served(CacheTier::Store), 1);
}

TEST(BlockCache, RamTierStaysUnderBudgetAndEvictsLeastRecent) {
  Fixture f;
  BlockCacheOptions o;
  o.ram_bytes = 3 * kLeaf;
  BlockCache cache(f.reader, f.queue, f.metrics, o);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(*cache.get(f.leaves, i), f.expected(i));
  EXPECT_LE(cache.ram_bytes(), o.ram_bytes);
  EXPECT_EQ(f.counting.gets.load(), 5u);
  cache.get(f.leaves, 4);  // most recent: still cached
  EXPECT_EQ(f.counting.gets.load(), 5u);
  cache.get(f.leaves, 0);  // evicted long ago: fetched again
  EXPECT_EQ(f.counting.gets.load(), 6u);
}

TEST(BlockCache, PrefetchRunsInBackgroundAndIsJoined) {
  Fixture f;
  BlockCache cache(f.reader, f.queue, f.metrics, {});
  for (size_t i = 0; i < f.leaves->size(); ++i) cache.prefetch(f.leaves, i, 0, PrefetchKind::Readahead);
  for (size_t i = 0; i < f.leaves->size(); ++i) EXPECT_EQ(*cache.get(f.leaves, i), f.content.substr(i * kLeaf, kLeaf));
  EXPECT_EQ(f.counting.gets.load(), f.leaves->size());
}

TEST(BlockCache, CorruptLeafFailsAndIsNotCached) {
  Fixture f;
  BlockCache cache(f.reader, f.queue, f.metrics, {});
  const auto name = (*f.leaves)[2].hex();
  const auto good = f.local.get(name);
  auto bad = good;
  bad[10] ^= 1;
  f.local.put(name, bad, store::PutMode::Overwrite);
  test::expect_error([&] { cache.get(f.leaves, 2); }, ErrorKind::Corrupt, {name});
  EXPECT_EQ(f.metrics.verification_failures(), 1);
  f.local.put(name, good, store::PutMode::Overwrite);  // repaired: the next read succeeds
  EXPECT_EQ(*cache.get(f.leaves, 2), f.expected(2));
}

TEST(BlockCache, DiskTierSurvivesRestartAndDropsDamagedFiles) {
  Fixture f;
  BlockCacheOptions o;
  o.disk_dir = f.dir / "disk";
  {
    BlockCache cache(f.reader, f.queue, f.metrics, o);
    for (size_t i = 0; i < 4; ++i) cache.get(f.leaves, i);
  }
  EXPECT_EQ(f.counting.gets.load(), 4u);
  // Damage one cached file: it must be detected, dropped and fetched again.
  DiskCache probe(o.disk_dir, o.disk_bytes);
  const auto damaged = probe.file_of((*f.leaves)[1]);
  {
    std::fstream file(damaged, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(100);
    file.put('\x55');
  }
  Metrics metrics2;
  BlockCache cache(f.reader, f.queue, metrics2, o);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(*cache.get(f.leaves, i), f.expected(i));
  EXPECT_EQ(f.counting.gets.load(), 5u);  // only the damaged leaf came from the store
  EXPECT_EQ(metrics2.served(CacheTier::Disk), 3);
  EXPECT_EQ(cache.disk()->damaged(), 1u);
}

TEST(BlockCache, DiskFileRewrittenWithAValidCrcIsNotServed) {
  Fixture f;
  BlockCacheOptions o;
  o.disk_dir = f.dir / "disk";
  {
    BlockCache cache(f.reader, f.queue, f.metrics, o);
    cache.get(f.leaves, 1);
  }
  // Someone who can write the cache folder swaps the leaf for other bytes with a matching CRC.
  const auto key = (*f.leaves)[1];
  DiskCache forger(f.dir / "forger", o.disk_bytes);
  forger.put(key, std::string(kLeaf, 'X'));
  std::filesystem::copy_file(forger.file_of(key), DiskCache(o.disk_dir, o.disk_bytes).file_of(key),
                             std::filesystem::copy_options::overwrite_existing);
  Metrics metrics2;
  BlockCache cache(f.reader, f.queue, metrics2, o);
  EXPECT_EQ(*cache.get(f.leaves, 1), f.expected(1));
  EXPECT_EQ(metrics2.served(CacheTier::Disk), 0);
  EXPECT_EQ(metrics2.verification_failures(), 1);
  EXPECT_EQ(f.counting.gets.load(), 2u);  // fetched again from the store
}

TEST(DiskCache, StaysUnderItsBudget) {
  TempDir dir;
  DiskCache disk(dir / "c", 3 * 1000 + 3 * 8);
  std::vector<cafs::Key> keys;
  for (uint8_t i = 0; i < 6; ++i) {
    cafs::Key::Bytes b{};
    b[0] = i;
    keys.emplace_back(b);
    disk.put(keys.back(), std::string(1000, static_cast<char>('a' + i)));
  }
  EXPECT_LE(disk.bytes(), 3u * 1008);
  EXPECT_FALSE(disk.get(keys[0], 1000));
  EXPECT_EQ(*disk.get(keys[5], 1000), std::string(1000, 'f'));
  DiskCache reopened(dir / "c", 3 * 1008);
  EXPECT_EQ(reopened.bytes(), disk.bytes());
}

TEST(Readahead, GrowsOnSequentialReadsAndStopsOnSeeks) {
  Readahead ra(1, 8, 1 << 20);
  EXPECT_EQ(ra.on_read(5, 0, 1 << 20).window, 1u);
  EXPECT_TRUE(ra.on_read(6, 0, 4096).first);  // files are independent
  EXPECT_EQ(ra.on_read(5, 1 << 20, 2 << 20).window, 2u);
  EXPECT_EQ(ra.on_read(5, 2 << 20, 3 << 20).window, 4u);
  EXPECT_EQ(ra.on_read(5, 3 << 20, 4 << 20).window, 8u);
  EXPECT_EQ(ra.on_read(5, 4 << 20, 5 << 20).window, 8u);  // bounded
  const auto seek = ra.on_read(5, 100 << 20, 101 << 20);
  EXPECT_TRUE(seek.random);
  EXPECT_EQ(seek.window, 0u);  // nothing is read ahead of a random read
  EXPECT_FALSE(seek.first);
  EXPECT_EQ(ra.on_read(5, 101 << 20, 102 << 20).window, 1u);  // sequential again: starts over
  EXPECT_TRUE(ra.on_read(7, 5 << 20, 6 << 20).random);        // a first read not at 0
  Readahead off(0, 8, 1 << 20);
  EXPECT_EQ(off.on_read(1, 0, 1 << 20).window, 0u);
  // Only the second read, where the first ended, confirms a reader that reads on.
  Readahead c(1, 8, 1 << 20);
  EXPECT_FALSE(c.on_read(9, 0, 4096).confirmed);
  EXPECT_TRUE(c.on_read(9, 4096, 8192).confirmed);
  EXPECT_FALSE(c.on_read(9, 8192, 12288).confirmed);
  EXPECT_FALSE(c.on_read(10, 0, 4096).confirmed);
  EXPECT_FALSE(c.on_read(10, 50 << 20, (50 << 20) + 4096).confirmed);  // a seek confirms nothing
  EXPECT_EQ(off.on_read(1, 1 << 20, 2 << 20).window, 0u);
}

TEST(FetchQueue, DemandRunsBeforeQueuedGuessesAndGuessesStayWithinTheirBudget) {
  std::mutex mutex;
  std::condition_variable cv;
  bool release = false;
  std::vector<std::string> order;
  std::atomic<int> running_guesses{0}, max_guesses{0};
  {
    FetchQueue queue(3, 1);  // one guess at a time; two workers left for demand
    const auto guess = [&](const std::string& name) {
      return [&, name](bool run) {
        if (!run) return;
        const int now = ++running_guesses;
        int seen = max_guesses.load();
        while (now > seen && !max_guesses.compare_exchange_weak(seen, now)) {
        }
        {
          std::unique_lock lock(mutex);
          order.push_back(name);
          cv.notify_all();
          cv.wait(lock, [&] { return release; });
        }
        --running_guesses;
      };
    };
    queue.submit(Lane::Speculative, 5, guess("g-first"));
    {
      std::unique_lock lock(mutex);
      cv.wait_for(lock, std::chrono::seconds(10), [&] { return !order.empty(); });
    }
    // The first guess holds the only guess slot; these wait, by priority.
    queue.submit(Lane::Speculative, 9, guess("g9"));
    queue.submit(Lane::Speculative, 1, guess("g1"));
    std::atomic<bool> demand_ran{false};
    queue.submit(Lane::Demand, 0, [&](bool run) {
      if (!run) return;
      std::lock_guard lock(mutex);
      order.push_back("demand");
      demand_ran = true;
      cv.notify_all();
    });
    std::unique_lock lock(mutex);
    // Demand runs although a guess holds a worker and two more are queued before it.
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return demand_ran.load(); });
    release = true;
    cv.notify_all();
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return order.size() == 4; });
  }  // the destructor joins after the queue drained
  ASSERT_EQ(order.size(), 4u);
  EXPECT_EQ(order[0], "g-first");
  EXPECT_EQ(order[1], "demand");
  EXPECT_EQ(order[2], "g1");
  EXPECT_EQ(order[3], "g9");
  EXPECT_EQ(max_guesses.load(), 1);
}

TEST(FetchQueue, GuessesStayWithinTheirByteBudget) {
  std::atomic<int> running{0}, most{0}, done{0};
  {
    FetchQueue queue(4, 4, 100);  // room for four guesses, but only 100 bytes of them at once
    for (int i = 0; i < 6; ++i) {
      queue.submit(
          Lane::Speculative, 0,
          [&](bool run) {
            if (!run) return;
            const int now = ++running;
            int seen = most.load();
            while (now > seen && !most.compare_exchange_weak(seen, now)) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            --running;
            ++done;
          },
          60);
    }
    for (int i = 0; i < 1000 && done < 6; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(done, 6);
  EXPECT_EQ(most, 1);  // 60 + 60 > 100: one at a time
}

TEST(FetchQueue, GuessesHoldBackWhileSeveralReadersWait) {
  std::atomic<int> started{0};
  const auto guess = [&](bool run) {
    if (run) ++started;
  };
  const auto wait_for = [](const auto& done) {
    for (int i = 0; i < 1000 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  };
  FetchQueue queue(4, 4);
  {
    const FetchQueue::ReaderWait reader(queue);  // one reader alone: guesses go on
    queue.submit(Lane::Speculative, 0, guess);
    wait_for([&] { return started == 1; });
    EXPECT_EQ(started, 1);
    {
      const FetchQueue::ReaderWait second(queue);
      queue.submit(Lane::Speculative, 0, guess);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // time enough for a worker to take it
      EXPECT_EQ(started, 1);
      EXPECT_EQ(queue.speculative_queued(), 1u);
    }
    wait_for([&] { return started == 2; });  // one reader left: it runs
  }
  EXPECT_EQ(started, 2);
}

TEST(FetchQueue, WritesToTheDiskTierNeverWaitForReaders) {
  std::atomic<bool> ran{false};
  FetchQueue queue(2, 1);
  const FetchQueue::ReaderWait reader(queue), other(queue);  // guesses would all wait
  queue.submit(Lane::Local, 0, [&](bool run) { ran = run; });
  for (int i = 0; i < 1000 && !ran; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(ran);
}

TEST(BlockCache, AReaderTakesOverAGuessStillQueuedInsteadOfWaitingBehindOthers) {
  Fixture f;
  f.slow.set_plan({.latency = std::chrono::milliseconds(20)});
  FetchQueue queue(1, 1);  // one worker: guesses run one at a time
  Metrics metrics;
  BlockCache cache(f.reader, queue, metrics, {});
  for (size_t i = 0; i < f.leaves->size(); ++i) cache.prefetch(f.leaves, i, i, PrefetchKind::RandomFile);
  // The last leaf is queued behind nine others; the reader fetches it itself at once.
  EXPECT_EQ(*cache.get(f.leaves, 10), f.expected(10));
  EXPECT_EQ(metrics.prefetches_used(), 1);
  cache.wait_idle();
  EXPECT_EQ(f.recorder.fetched_by((*f.leaves)[10].hex()), std::this_thread::get_id());
  EXPECT_EQ(metrics.prefetches_issued(), static_cast<double>(f.leaves->size()));
  EXPECT_LE(f.counting.gets.load(), static_cast<int>(f.leaves->size()));  // never twice
}

// Two readers blocked in slow fetches of leaves 0 and 1 (expected to be `bytes` long; 0: whole
// leaves), and a guess of leaf 5 queued while they wait.
struct TwoWaitingReaders {
  Fixture f;
  FetchQueue queue{4, 4};
  Metrics metrics;
  std::optional<BlockCache> cache;
  std::atomic<int> read{0};
  std::vector<std::thread> readers;

  explicit TwoWaitingReaders(uint64_t bytes) {
    f.slow.set_plan({.latency = std::chrono::milliseconds(300)});
    cache.emplace(f.reader, queue, metrics, BlockCacheOptions{});
    for (size_t leaf : {0, 1}) {
      readers.emplace_back([this, leaf, bytes] {
        EXPECT_EQ(*cache->get(f.leaves, leaf, bytes), f.expected(leaf));
        ++read;
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // both readers are in their fetches
    cache->prefetch(f.leaves, 5, 0, PrefetchKind::RandomFile);
  }
  ~TwoWaitingReaders() { join(); }
  TwoWaitingReaders(const TwoWaitingReaders&) = delete;
  TwoWaitingReaders& operator=(const TwoWaitingReaders&) = delete;
  void join() {
    for (auto& r : readers) {
      if (r.joinable()) r.join();
    }
    cache->wait_idle();
  }
};

TEST(BlockCache, AGuessWaitsWhileTwoReadersWaitForTheirLeaves) {
  TwoWaitingReaders t(0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(t.read, 0);
  EXPECT_EQ(t.queue.speculative_queued(), 1u);  // not taken by any of the four idle workers
  t.join();                                     // then it runs
  EXPECT_EQ(t.f.counting.gets.load(), 3);
  EXPECT_EQ(*t.cache->get(t.f.leaves, 5), t.f.expected(5));
  EXPECT_EQ(t.f.counting.gets.load(), 3);
}

TEST(BlockCache, ReadersOfSmallLeavesDoNotHoldGuessesBack) {
  // Readers of small files (a 4 KiB leaf each), as a data loader's workers walking a folder.
  TwoWaitingReaders t(4096);
  for (int i = 0; i < 100 && t.queue.speculative_queued() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(t.read, 0);
  EXPECT_EQ(t.queue.speculative_queued(), 0u);  // taken at once, beside the two readers
}

TEST(BlockCache, GuessesStayWithinHalfTheRamAndNeverEvictALeafInUse) {
  Fixture f;
  Metrics metrics;
  BlockCacheOptions o;
  o.ram_bytes = 4 * kLeaf;
  BlockCache cache(f.reader, f.queue, metrics, o);
  const auto held = cache.get(f.leaves, 0);  // a reader holds leaf 0, the least recent
  cache.get(f.leaves, 1);
  cache.get(f.leaves, 2);
  // Guesses need room: they may push out leaf 1 (nobody holds it), never leaf 0.
  for (size_t i = 3; i < f.leaves->size(); ++i) cache.prefetch(f.leaves, i, i, PrefetchKind::RandomFile);
  cache.wait_idle();
  EXPECT_LE(cache.unread_bytes(), o.ram_bytes / 2);
  EXPECT_LE(cache.ram_bytes(), o.ram_bytes);
  EXPECT_GT(metrics.prefetches_wasted(), 0);
  const int before = f.counting.gets;
  EXPECT_EQ(*cache.get(f.leaves, 0), f.expected(0));  // still cached: no fetch
  EXPECT_EQ(f.counting.gets, before);
  EXPECT_EQ(held.use_count(), 2);  // ours and the cache slot
}

TEST(ByteSize, ParsesGoAndBinaryUnits) {
  EXPECT_EQ(parse_byte_size("50MB", "--cache-size"), 50000000u);
  EXPECT_EQ(parse_byte_size("1GiB", "x"), 1073741824u);
  EXPECT_EQ(parse_byte_size("1048576", "x"), 1048576u);
  EXPECT_EQ(parse_byte_size("512k", "x"), 524288u);
  const auto message = test::error_message([] { parse_byte_size("lots", "--cache-size"); });
  EXPECT_NE(message.find("--cache-size"), std::string::npos) << message;
  EXPECT_THROW(parse_byte_size("5 parsecs", "x"), Error);
}

}  // namespace
}  // namespace dm::fusefs
