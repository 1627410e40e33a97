// PageCacheFeed with its store step replaced (no kernel stalls a store on demand): while a store
// waits, offers queue up to the bound, the next is dropped and counted, and the queued ones are
// stored in order once the store goes on; a failed store is not counted as pushed.
#include "fusefs/page_cache_feed.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "fusefs/leaf_pool.h"
#include "fusefs/metrics.h"

namespace dm::fusefs {
namespace {

constexpr size_t kLeafBytes = 4096;

// A store step that records what it stored and, while `hold` is set, waits inside the first
// call (as a notify_store waits for the page locks of a read in flight).
class HeldStore {
 public:
  PageCacheFeed::StoreStep step(int result = 0) {
    return [this, result](fuse_session*, Inode ino, uint64_t, const char*, size_t) {
      std::unique_lock lock(mutex_);
      entered_ = true;
      changed_.notify_all();
      changed_.wait(lock, [this] { return !hold_; });
      stored_.push_back(ino);
      changed_.notify_all();
      return result;
    };
  }
  void wait_entered() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return entered_; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    hold_ = false;
    changed_.notify_all();
  }
  std::vector<Inode> wait_stored(size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return stored_.size() >= n; });
    return stored_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool hold_ = true;
  bool entered_ = false;
  std::vector<Inode> stored_;
};

fuse_session* any_session() {
  static int token;  // the replaced store step never uses the session
  return reinterpret_cast<fuse_session*>(&token);
}

class PageCacheFeedTest : public ::testing::Test {
 protected:
  // A leaf of kLeafBytes.
  LeafData leaf() {
    auto buffer = pool_->take(kLeafBytes);
    buffer->set_size(kLeafBytes);
    return pool_->share(std::move(buffer));
  }

  Metrics metrics_;
  HeldStore store_;
  std::shared_ptr<LeafPool> pool_ = LeafPool::create(kLeafBytes, 8);
};

TEST_F(PageCacheFeedTest, AFullQueueDropsAndCountsTheNextOfferAndStoresTheQueuedInOrder) {
  PageCacheFeed feed(metrics_, store_.step(), 2);
  feed.attach(any_session());
  ASSERT_TRUE(feed.offer(10, 0, leaf()));
  store_.wait_entered();  // 10 is being stored; the queue is empty
  EXPECT_TRUE(feed.offer(11, 0, leaf()));
  EXPECT_TRUE(feed.offer(12, 0, leaf()));
  EXPECT_FALSE(feed.offer(13, 0, leaf()));
  EXPECT_EQ(metrics_.page_cache_drops(), 1);
  store_.release();
  EXPECT_EQ(store_.wait_stored(3), (std::vector<Inode>{10, 11, 12}));
  feed.detach();
  EXPECT_EQ(metrics_.page_cache_pushed_bytes(), 3 * kLeafBytes);
  EXPECT_EQ(metrics_.page_cache_drops(), 1);
}

TEST_F(PageCacheFeedTest, OffersOutsideAnAttachmentAreRefusedWithoutCountingADrop) {
  store_.release();
  PageCacheFeed feed(metrics_, store_.step(), 1);
  EXPECT_FALSE(feed.offer(10, 0, leaf()));
  feed.attach(any_session());
  EXPECT_TRUE(feed.offer(11, 0, leaf()));
  EXPECT_EQ(store_.wait_stored(1), std::vector<Inode>{11});
  feed.detach();
  EXPECT_FALSE(feed.offer(12, 0, leaf()));
  EXPECT_EQ(metrics_.page_cache_drops(), 0);
}

TEST_F(PageCacheFeedTest, AStoreTheKernelRefusesIsNotCountedAsPushed) {
  store_.release();
  PageCacheFeed feed(metrics_, store_.step(-ENOENT), 4);
  feed.attach(any_session());
  ASSERT_TRUE(feed.offer(10, 0, leaf()));
  store_.wait_stored(1);
  feed.detach();
  EXPECT_EQ(metrics_.page_cache_pushed_bytes(), 0);
}

}  // namespace
}  // namespace dm::fusefs
