// FaultInjectingStore: a Store decorator for tests and drills that makes the store behind it
// misbehave on purpose: errors, latency, short reads, flipped bytes, or failure on the Nth call.
//
// It forwards every call to the wrapped store (a StoreWrapper) and consults its FaultPlan first;
// read_into reads through the wrapped store's own path and damages the caller's buffer in place.
// All faults are deterministic for a given seed, so a failing run can be replayed. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>

#include "common/store/store_wrapper.h"
#include "common/util/error.h"

namespace dm::store {

struct FaultPlan {
  double error_rate = 0.0;  // chance that a call throws `error_kind`
  ErrorKind error_kind = ErrorKind::Unavailable;
  double corrupt_rate = 0.0;     // chance that a get returns one flipped byte
  double short_read_rate = 0.0;  // chance that a get returns a truncated body
  std::chrono::microseconds latency{0};
  uint64_t fail_on_call = 0;    // if non-zero, exactly the Nth call (1-based) throws
  bool fail_puts_only = false;  // limit error_rate and fail_on_call to put()
  uint64_t seed = 1;
};

class FaultInjectingStore final : public StoreWrapper {
 public:
  FaultInjectingStore(Store& inner, FaultPlan plan);

  std::string get(std::string_view name) override;
  void get_into(std::string_view name, std::string& out, uint64_t max_size) override;
  size_t read_into(std::string_view name, uint64_t max_size, const BufferFor& buffer_for,
                   const OnArrived& on_arrived) override;
  std::string get_range(std::string_view name, uint64_t offset, uint64_t length) override;
  std::optional<ObjectInfo> stat(std::string_view name) override;
  void put(std::string_view name, std::string_view data, PutMode mode) override;
  void list(std::string_view prefix, std::string_view delimiter,
            const std::function<void(const ListEntry&)>& on_entry) override;
  void remove(std::string_view name) override;
  std::vector<std::string> list_versions(std::string_view name) override;
  std::string read_version(std::string_view name, std::string_view version, uint64_t max_size) override;

  void set_plan(FaultPlan plan);
  uint64_t calls() const { return calls_.load(); }
  uint64_t faults() const { return faults_.load(); }

 private:
  // Sleeps, counts, and throws when this call is chosen to fail.
  void before_call(std::string_view op, std::string_view name, bool is_put);
  // May truncate or corrupt the `size` bytes of a body on its way back; returns the new size.
  size_t damage(char* body, size_t size);
  bool roll(double rate);

  mutable std::mutex mutex_;
  FaultPlan plan_;
  std::mt19937_64 rng_;
  std::atomic<uint64_t> calls_{0};
  std::atomic<uint64_t> faults_{0};
};

}  // namespace dm::store
