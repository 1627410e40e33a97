// BlockCache, DiskCache, Readahead and byte sizes, over a real LocalStore in a TempDir.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "common/cafs/writer.h"
#include "common/store/counting_store.h"
#include "common/store/fault_injecting_store.h"
#include "common/store/local_store.h"
#include "common/util/error.h"
#include "fusefs/block_cache.h"
#include "fusefs/byte_size.h"
#include "fusefs/readahead.h"
#include "support/test_support.h"

namespace dm::fusefs {
namespace {

using test::TempDir;

constexpr uint32_t kLeaf = 64 * 1024;

struct Fixture {
  TempDir dir;
  store::LocalStore local{dir / "blob"};
  // Counts the reads that reach the real store; `slow` can delay them so concurrent readers overlap.
  store::CountingStore counting{local};
  store::FaultInjectingStore slow{counting, {}};
  ThreadPool pool{4};
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
  BlockCache cache(f.reader, f.pool, f.metrics, {});
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
  BlockCache cache(f.reader, f.pool, f.metrics, o);
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
  BlockCache cache(f.reader, f.pool, f.metrics, {});
  for (size_t i = 0; i < f.leaves->size(); ++i) cache.prefetch(f.leaves, i);
  for (size_t i = 0; i < f.leaves->size(); ++i) EXPECT_EQ(*cache.get(f.leaves, i), f.content.substr(i * kLeaf, kLeaf));
  EXPECT_EQ(f.counting.gets.load(), f.leaves->size());
}

TEST(BlockCache, CorruptLeafFailsAndIsNotCached) {
  Fixture f;
  BlockCache cache(f.reader, f.pool, f.metrics, {});
  const auto name = (*f.leaves)[2].hex();
  const auto good = f.local.get(name);
  auto bad = good;
  bad[10] ^= 1;
  f.local.put(name, bad, store::PutMode::Overwrite);
  try {
    cache.get(f.leaves, 2);
    FAIL() << "served a corrupt leaf";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
  }
  EXPECT_EQ(f.metrics.verification_failures(), 1);
  f.local.put(name, good, store::PutMode::Overwrite);  // repaired: the next read succeeds
  EXPECT_EQ(*cache.get(f.leaves, 2), f.expected(2));
}

TEST(BlockCache, DiskTierSurvivesRestartAndDropsDamagedFiles) {
  Fixture f;
  BlockCacheOptions o;
  o.disk_dir = f.dir / "disk";
  {
    BlockCache cache(f.reader, f.pool, f.metrics, o);
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
  BlockCache cache(f.reader, f.pool, metrics2, o);
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
    BlockCache cache(f.reader, f.pool, f.metrics, o);
    cache.get(f.leaves, 1);
  }
  // Someone who can write the cache folder swaps the leaf for other bytes with a matching CRC.
  const auto key = (*f.leaves)[1];
  DiskCache forger(f.dir / "forger", o.disk_bytes);
  forger.put(key, std::string(kLeaf, 'X'));
  std::filesystem::copy_file(forger.file_of(key), DiskCache(o.disk_dir, o.disk_bytes).file_of(key),
                             std::filesystem::copy_options::overwrite_existing);
  Metrics metrics2;
  BlockCache cache(f.reader, f.pool, metrics2, o);
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
  EXPECT_FALSE(disk.get(keys[0]));
  EXPECT_EQ(*disk.get(keys[5]), std::string(1000, 'f'));
  DiskCache reopened(dir / "c", 3 * 1008);
  EXPECT_EQ(reopened.bytes(), disk.bytes());
}

TEST(Readahead, GrowsOnSequentialReadsAndResetsOnSeeks) {
  Readahead ra(1, 8, 1 << 20);
  EXPECT_EQ(ra.on_read(5, 0, 1 << 20), 1u);
  EXPECT_EQ(ra.on_read(5, 1 << 20, 2 << 20), 2u);
  EXPECT_EQ(ra.on_read(5, 2 << 20, 3 << 20), 4u);
  EXPECT_EQ(ra.on_read(5, 3 << 20, 4 << 20), 8u);
  EXPECT_EQ(ra.on_read(5, 4 << 20, 5 << 20), 8u);      // bounded
  EXPECT_EQ(ra.on_read(5, 100 << 20, 101 << 20), 1u);  // a seek resets
  EXPECT_EQ(ra.on_read(6, 0, 4096), 1u);               // files are independent
  Readahead off(0, 8, 1 << 20);
  EXPECT_EQ(off.on_read(1, 0, 1 << 20), 0u);
  EXPECT_EQ(off.on_read(1, 1 << 20, 2 << 20), 0u);
}

TEST(ByteSize, ParsesGoAndBinaryUnits) {
  EXPECT_EQ(parse_byte_size("50MB", "--cache-size"), 50000000u);
  EXPECT_EQ(parse_byte_size("1GiB", "x"), 1073741824u);
  EXPECT_EQ(parse_byte_size("1048576", "x"), 1048576u);
  EXPECT_EQ(parse_byte_size("512k", "x"), 524288u);
  try {
    parse_byte_size("lots", "--cache-size");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--cache-size"), std::string::npos);
  }
  EXPECT_THROW(parse_byte_size("5 parsecs", "x"), Error);
}

}  // namespace
}  // namespace dm::fusefs
