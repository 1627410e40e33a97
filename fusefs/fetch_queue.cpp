#include "fusefs/fetch_queue.h"

#include <algorithm>

namespace dm::fusefs {

FetchQueue::FetchQueue(unsigned workers, unsigned max_speculative, uint64_t max_speculative_bytes)
    : max_speculative_(std::max(1U, std::min(max_speculative, std::max(1U, workers)))),
      max_speculative_bytes_(max_speculative_bytes) {
  workers = std::max(1U, workers);
  workers_.reserve(workers);
  for (unsigned i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
}

FetchQueue::~FetchQueue() {
  std::deque<Task> demand;
  std::deque<Task> local;
  std::vector<Task> speculative;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    demand.swap(demand_);
    local.swap(local_);
    while (!speculative_.empty()) {
      speculative.push_back(std::move(const_cast<Queued&>(speculative_.top()).task));
      speculative_.pop();
    }
  }
  ready_.notify_all();
  for (auto& t : demand) t(false);
  for (auto& t : local) t(false);
  for (auto& t : speculative) t(false);
  for (auto& w : workers_) w.join();
}

void FetchQueue::submit(Lane lane, uint64_t priority, Task task, uint64_t bytes) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      if (lane == Lane::Demand) {
        demand_.push_back(std::move(task));
      } else if (lane == Lane::Local) {
        local_.push_back(std::move(task));
      } else {
        speculative_.push(Queued{priority, order_++, std::move(task), bytes});
      }
      task = nullptr;
    }
  }
  if (task) {
    task(false);
    return;
  }
  ready_.notify_one();
}

size_t FetchQueue::speculative_queued() const {
  std::lock_guard lock(mutex_);
  return speculative_.size();
}

bool FetchQueue::may_start_speculative() const {
  if (speculative_.empty() || speculative_running_ >= max_speculative_) return false;
  if (readers_waiting_ >= kBusyReaders) return false;
  return speculative_running_ == 0 || speculative_bytes_ + speculative_.top().bytes <= max_speculative_bytes_;
}

bool FetchQueue::may_start_local() const {
  return !local_.empty() && local_running_ < max_speculative_;
}

FetchQueue::ReaderWait::ReaderWait(FetchQueue& queue) : queue_(queue) {
  std::lock_guard lock(queue_.mutex_);
  ++queue_.readers_waiting_;
}

FetchQueue::ReaderWait::~ReaderWait() {
  {
    std::lock_guard lock(queue_.mutex_);
    --queue_.readers_waiting_;
  }
  queue_.ready_.notify_all();  // guesses held back for this reader may start
}

void FetchQueue::work() {
  for (;;) {
    Task task;
    Lane lane = Lane::Demand;
    uint64_t bytes = 0;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock,
                  [this] { return stopping_ || !demand_.empty() || may_start_local() || may_start_speculative(); });
      if (!demand_.empty()) {
        task = std::move(demand_.front());
        demand_.pop_front();
      } else if (stopping_) {
        return;
      } else if (may_start_local()) {
        task = std::move(local_.front());
        local_.pop_front();
        ++local_running_;
        lane = Lane::Local;
      } else {
        // The heap's top is const; it is popped right after the move.
        task = std::move(const_cast<Queued&>(speculative_.top()).task);
        bytes = speculative_.top().bytes;
        speculative_.pop();
        ++speculative_running_;
        speculative_bytes_ += bytes;
        lane = Lane::Speculative;
      }
    }
    try {
      task(true);
    } catch (...) {
      // Tasks report their own failures (to whoever waits on them); a worker must survive.
    }
    if (lane != Lane::Demand) {
      {
        std::lock_guard lock(mutex_);
        if (lane == Lane::Local) {
          --local_running_;
        } else {
          --speculative_running_;
          speculative_bytes_ -= bytes;
        }
      }
      ready_.notify_all();
    }
  }
}

bool TaskScope::enter() {
  std::lock_guard lock(mutex_);
  if (closed_) return false;
  ++active_;
  return true;
}

void TaskScope::leave() {
  std::lock_guard lock(mutex_);
  if (--active_ == 0) idle_.notify_all();
}

void TaskScope::queued() {
  std::lock_guard lock(mutex_);
  ++active_;
}

void TaskScope::dequeued() {
  leave();
}

bool TaskScope::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

void TaskScope::close_and_wait() {
  std::unique_lock lock(mutex_);
  closed_ = true;
  idle_.wait(lock, [this] { return active_ == 0; });
}

}  // namespace dm::fusefs
