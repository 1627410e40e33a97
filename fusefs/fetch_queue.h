// FetchQueue: the mount's fetch workers, with demand before speculation.
//
// Three lanes. Demand tasks (a leaf some reader waits for) run first-come first-served on any idle
// worker; local tasks (writes to the disk tier: no store traffic) run next, in order, at most
// `max_speculative` at once; speculative tasks (readahead, prefetch, preload) run by ascending
// priority, only when no demand task is queued, at most `max_speculative` at once and, together,
// within `max_speculative_bytes` of the bytes they say they will fetch (one always may run), so
// the remaining workers, and most of the CPU that verifies leaves, stay free for demand: a leaf a
// reader waits for is never queued behind a guess.
//
// Guesses also yield the store to readers who wait. A reader blocked on a fetch that no guess
// runs says so with ReaderWait; while `kBusyReaders` or more wait, no guess starts: their fetches
// already keep the store and the cores that verify busy, and a guess would only slow what they
// wait for. One reader alone leaves both mostly idle, which is what guesses are for. Stopping
// (the destructor) runs no more queued task: each is called with `run == false` so that it can
// release whoever waits on it, and the running ones are joined. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace dm::fusefs {

enum class Lane { Demand, Local, Speculative };

class FetchQueue {
 public:
  // `run` is false when the queue stops before the task could start.
  using Task = std::function<void(bool run)>;

  FetchQueue(unsigned workers, unsigned max_speculative, uint64_t max_speculative_bytes = UINT64_MAX);
  ~FetchQueue();
  FetchQueue(const FetchQueue&) = delete;
  FetchQueue& operator=(const FetchQueue&) = delete;

  // Lower `priority` runs sooner within the speculative lane (ignored for demand); `bytes` is
  // what the task will fetch, counted against the speculative byte budget.
  void submit(Lane lane, uint64_t priority, Task task, uint64_t bytes = 0);

  // Readers waiting at once from which guesses hold back.
  static constexpr unsigned kBusyReaders = 2;
  // A reader is blocked on a fetch from now until the guard goes away.
  class ReaderWait {
   public:
    explicit ReaderWait(FetchQueue& queue);
    ~ReaderWait();
    ReaderWait(const ReaderWait&) = delete;
    ReaderWait& operator=(const ReaderWait&) = delete;

   private:
    FetchQueue& queue_;
  };

  unsigned workers() const { return static_cast<unsigned>(workers_.size()); }
  unsigned max_speculative() const { return max_speculative_; }
  size_t speculative_queued() const;

 private:
  struct Queued {
    uint64_t priority;
    uint64_t order;  // FIFO among equal priorities
    Task task;
    uint64_t bytes;
    bool operator>(const Queued& o) const { return priority != o.priority ? priority > o.priority : order > o.order; }
  };
  void work();

  bool may_start_speculative() const;  // under mutex_
  bool may_start_local() const;        // under mutex_

  unsigned max_speculative_;
  uint64_t max_speculative_bytes_;
  uint64_t speculative_bytes_ = 0;  // of the running speculative tasks
  unsigned readers_waiting_ = 0;    // ReaderWait
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Task> demand_;
  std::deque<Task> local_;
  unsigned local_running_ = 0;
  std::priority_queue<Queued, std::vector<Queued>, std::greater<>> speculative_;
  unsigned speculative_running_ = 0;
  uint64_t order_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

// TaskScope: counts the tasks an object has handed to a FetchQueue, so that it can stop them
// from starting new work and wait for the running ones before it goes away. Thread-safe.
class TaskScope {
 public:
  // False once closed: the task must return at once (without doing its work).
  bool enter();
  void leave();
  // Makes later enter() calls fail and waits until every entered task has left.
  void close_and_wait();
  // Counts a task queued but not yet entered (so close_and_wait waits for it to run or cancel).
  void queued();
  void dequeued();
  bool closed() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable idle_;
  size_t active_ = 0;
  bool closed_ = false;
};

}  // namespace dm::fusefs
