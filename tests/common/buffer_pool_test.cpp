// BufferPool reuses and bounds its buffers; a TaskGroup releases what its tasks captured before
// wait() returns (the writer's leaf buffers go back to a pool that may end right after).
#include "common/util/buffer_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "common/util/files.h"
#include "common/util/thread_pool.h"

namespace dm {
namespace {

TEST(BufferPool, BuffersStartOnTheDirectWriteAlignment) {
  BufferPool pool((2 << 20) + 3, 3);  // an odd size: alignment must not depend on it
  auto a = pool.take();
  auto b = pool.take();
  auto c = pool.take();
  for (const char* p : {a.get(), b.get(), c.get()}) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kDirectWriteAlign, 0U);
  }
}

TEST(BufferPool, ABufferIsReusedOnceItsLastPointerGoes) {
  BufferPool pool(1 << 20, 4);
  char* first = nullptr;
  {
    auto a = pool.take();
    auto copy = a;
    first = a.get();
    a.reset();
    EXPECT_EQ(pool.allocated(), 1U);  // `copy` still holds it
    auto b = pool.take();
    EXPECT_NE(b.get(), first);
  }
  EXPECT_EQ(pool.allocated(), 2U);
  auto again = pool.take();
  EXPECT_TRUE(again.get() != nullptr);
  EXPECT_EQ(pool.allocated(), 2U);
}

TEST(BufferPool, TakeWaitsWhileEveryBufferIsOut) {
  BufferPool pool(4096, 2);
  auto a = pool.take();
  auto b = pool.take();
  std::atomic<bool> got{false};
  std::thread taker([&] {
    auto c = pool.take();
    got = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(got.load()) << "a third buffer was handed out beyond a capacity of 2";
  a.reset();
  taker.join();
  EXPECT_TRUE(got.load());
  EXPECT_EQ(pool.allocated(), 2U);
}

// Sets `released` after a delay when destroyed: a group that ended before its tasks' captures
// are gone would be seen waiting less than the delay.
struct SlowRelease {
  explicit SlowRelease(std::atomic<int>* counter) : released(counter) {}
  SlowRelease(const SlowRelease&) = delete;
  SlowRelease& operator=(const SlowRelease&) = delete;
  std::atomic<int>* released;
  ~SlowRelease() {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ++*released;
  }
};

TEST(TaskGroupCaptures, AreReleasedBeforeWaitReturns) {
  ThreadPool pool(2);
  std::atomic<int> released{0};
  {
    TaskGroup group(pool);
    for (int i = 0; i < 4; ++i) {
      auto capture = std::make_shared<SlowRelease>(&released);
      group.run([capture] {});
    }
    group.wait();
    EXPECT_EQ(released.load(), 4);
  }
}

TEST(TaskGroupCaptures, OfSkippedTasksAreReleasedBeforeWaitReturns) {
  ThreadPool pool(1);
  std::atomic<int> released{0};
  TaskGroup group(pool);
  group.run([] { throw std::runtime_error("first task fails"); });
  for (int i = 0; i < 3; ++i) {
    auto capture = std::make_shared<SlowRelease>(&released);
    group.run([capture] {});
  }
  EXPECT_THROW(group.wait(), std::runtime_error);
  EXPECT_EQ(released.load(), 3);
}

}  // namespace
}  // namespace dm
