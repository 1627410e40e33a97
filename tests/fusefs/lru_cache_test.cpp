// LruCache: charge accounting, eviction order, pinning, the eviction callback, move-only values.
#include "fusefs/lru_cache.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace dm::fusefs {
namespace {

struct Evicted {
  int key;
  std::string value;
  uint64_t charge;
  bool operator==(const Evicted&) const = default;
};

struct Recorder {
  std::vector<Evicted> evicted;
  LruCache<int, std::string>::OnEvict callback() {
    return [this](const int& key, std::string& value, uint64_t charge) { evicted.push_back({key, value, charge}); };
  }
};

// A cache of capacity 30 holding 1, 2 and 3 (charge 10 each; 1 the least recent), recording evictions.
struct Full {
  Recorder rec;
  LruCache<int, std::string> cache{30, rec.callback()};
  explicit Full(const std::string& first = "a") {
    cache.insert(1, first, 10);
    cache.insert(2, "b", 10);
    cache.insert(3, "c", 10);
  }
};

TEST(LruCache, ChargesAddUpAndEraseGivesThemBack) {
  LruCache<int, std::string> cache(100);
  ASSERT_NE(cache.insert(1, "a", 30), nullptr);
  ASSERT_NE(cache.insert(2, "b", 50), nullptr);
  EXPECT_EQ(cache.charge(), 80u);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.erase(1));
  EXPECT_FALSE(cache.erase(1));
  EXPECT_EQ(cache.charge(), 50u);
  EXPECT_EQ(cache.peek(1), nullptr);
  EXPECT_EQ(*cache.peek(2), "b");
}

TEST(LruCache, InsertOfAPresentKeyChangesNothing) {
  LruCache<int, std::string> cache(100);
  cache.insert(1, "first", 10);
  EXPECT_EQ(cache.insert(1, "second", 20), nullptr);
  EXPECT_EQ(*cache.peek(1), "first");
  EXPECT_EQ(cache.charge(), 10u);
}

TEST(LruCache, EvictsLeastRecentlyUsedFirstAndFindRefreshes) {
  Full full;
  auto& [rec, cache] = full;
  ASSERT_NE(cache.find(1), nullptr);  // 1 is now the most recent; 2 the least
  cache.peek(2);                      // peek leaves recency alone
  cache.insert(4, "d", 15);           // needs two slots of room: 2, then 3
  EXPECT_EQ(rec.evicted, (std::vector<Evicted>{{2, "b", 10}, {3, "c", 10}}));
  EXPECT_TRUE(cache.contains(1));
  EXPECT_TRUE(cache.contains(4));
  EXPECT_EQ(cache.charge(), 25u);
}

TEST(LruCache, TooLargeAnEntryIsRefusedWithoutEvictingAnything) {
  Recorder rec;
  LruCache<int, std::string> cache(30, rec.callback());
  cache.insert(1, "a", 10);
  EXPECT_EQ(cache.insert(2, "huge", 31), nullptr);
  EXPECT_TRUE(rec.evicted.empty());
  EXPECT_TRUE(cache.contains(1));
}

TEST(LruCache, PinnedEntriesAreNotEvictedUntilUnpinned) {
  Recorder rec;
  LruCache<int, std::string> cache(20, rec.callback());
  cache.insert(1, "a", 10);
  cache.insert(2, "b", 10);
  ASSERT_TRUE(cache.pin(1));
  ASSERT_TRUE(cache.pin(1));  // pins count
  EXPECT_FALSE(cache.pin(9));
  cache.insert(3, "c", 10);  // 1 is the least recent but pinned: 2 goes
  EXPECT_EQ(rec.evicted, (std::vector<Evicted>{{2, "b", 10}}));
  cache.unpin(1);
  EXPECT_EQ(cache.insert(4, "d", 20), nullptr);  // 1 still pinned once: 3 goes, 4 does not fit
  EXPECT_TRUE(cache.contains(1));
  EXPECT_FALSE(cache.contains(3));
  cache.unpin(1);
  cache.unpin(1);  // one too many: harmless
  EXPECT_NE(cache.insert(4, "d", 20), nullptr);
  EXPECT_FALSE(cache.contains(1));
  EXPECT_EQ(cache.charge(), 20u);
}

TEST(LruCache, AnEntryTheCallerRefusesToEvictStays) {
  Full full("keep");
  auto& [rec, cache] = full;
  const auto not_kept = [](const std::string& v) { return v != "keep"; };
  ASSERT_NE(cache.insert(4, "d", 10, not_kept), nullptr);
  EXPECT_EQ(rec.evicted, (std::vector<Evicted>{{2, "b", 10}}));
  EXPECT_TRUE(cache.contains(1));
}

TEST(LruCache, EraseDoesNotCallTheEvictionCallback) {
  Recorder rec;
  LruCache<int, std::string> cache(30, rec.callback());
  cache.insert(1, "a", 10);
  cache.pin(1);
  EXPECT_TRUE(cache.erase(1));  // pinned entries can still be erased explicitly
  EXPECT_TRUE(rec.evicted.empty());
  EXPECT_EQ(cache.charge(), 0u);
  cache.unpin(1);  // erased meanwhile: nothing
  EXPECT_EQ(cache.size(), 0u);
}

TEST(LruCache, HoldsMoveOnlyValuesAndKeepsOrderAcrossManyEntries) {
  LruCache<int, std::unique_ptr<int>> cache(1000);
  for (int i = 0; i < 2000; ++i) cache.insert(i, std::make_unique<int>(i), 1);  // forces rehashing
  EXPECT_EQ(cache.size(), 1000u);
  EXPECT_FALSE(cache.contains(999));
  for (int i = 1000; i < 2000; ++i) ASSERT_EQ(**cache.peek(i), i);
  cache.find(1000);
  cache.insert(5000, std::make_unique<int>(0), 1);
  EXPECT_TRUE(cache.contains(1000));
  EXPECT_FALSE(cache.contains(1001));
}

}  // namespace
}  // namespace dm::fusefs
