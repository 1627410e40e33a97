// Bounded parallelism: a fixed pool of worker threads and task groups that wait on it.
//
// One pool bounds how many leaf transfers run at once; upload, download and the mount all
// submit to one. A TaskGroup collects the tasks of one job, waits for them, and rethrows the
// first exception; after a failure, tasks of the group that have not started are skipped.
// Thread-safe. Never wait on a TaskGroup from inside a task of the same pool (that can
// deadlock once every worker waits); callers use a separate pool per nesting level.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dm {

class ThreadPool {
 public:
  explicit ThreadPool(unsigned threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void post(std::function<void()> task);
  unsigned size() const { return static_cast<unsigned>(workers_.size()); }

 private:
  void work();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

class TaskGroup {
 public:
  explicit TaskGroup(ThreadPool& pool) : pool_(pool) {}
  ~TaskGroup();  // waits; swallows errors (call wait() to see them)
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  void run(std::function<void()> task);
  // Waits for every task run so far, and for what each captured to be destroyed; rethrows the
  // first exception one of them threw.
  void wait();
  bool failed() const;

 private:
  ThreadPool& pool_;
  mutable std::mutex mutex_;
  std::condition_variable done_;
  size_t pending_ = 0;
  std::exception_ptr error_;
};

// Runs fn(i) for every i in [0, n) on up to `workers` threads of its own. The first exception
// stops the hand-out of new indices and is rethrown once running calls have returned.
void parallel_for(size_t n, unsigned workers, const std::function<void(size_t)>& fn);

}  // namespace dm
