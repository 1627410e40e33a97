// FaultInjectingStore: a Store decorator for tests and drills that makes the store behind it
// misbehave on purpose: errors, latency, short reads, flipped bytes, or failure on the Nth call.
//
// It forwards every call to the wrapped store and consults its FaultPlan first. All faults are
// deterministic for a given seed, so a failing run can be replayed. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>

#include "common/store/store.h"
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

class FaultInjectingStore final : public Store {
 public:
  FaultInjectingStore(Store& inner, FaultPlan plan);

  std::string describe() const override { return inner_.describe(); }
  std::string get(std::string_view name) override;
  std::string get_range(std::string_view name, uint64_t offset, uint64_t length) override;
  std::optional<ObjectInfo> stat(std::string_view name) override;
  void put(std::string_view name, std::string_view data, PutMode mode) override;
  void list(std::string_view prefix, std::string_view delimiter,
            const std::function<void(const ListEntry&)>& on_entry) override;
  void remove(std::string_view name) override;
  void flush() override { inner_.flush(); }

  void set_plan(FaultPlan plan);
  uint64_t calls() const { return calls_.load(); }
  uint64_t faults() const { return faults_.load(); }

 private:
  // Sleeps, counts, and throws when this call is chosen to fail.
  void before_call(std::string_view op, std::string_view name, bool is_put);
  // May truncate or corrupt a body on its way back.
  std::string damage(std::string body);
  bool roll(double rate);

  Store& inner_;
  mutable std::mutex mutex_;
  FaultPlan plan_;
  std::mt19937_64 rng_;
  std::atomic<uint64_t> calls_{0};
  std::atomic<uint64_t> faults_{0};
};

// CountingStore: counts calls and bytes per operation; for tests that assert "no request per
// known leaf" and for metrics. Thread-safe.
class CountingStore final : public Store {
 public:
  explicit CountingStore(Store& inner) : inner_(inner) {}

  std::string describe() const override { return inner_.describe(); }
  std::string get(std::string_view name) override;
  std::string get_range(std::string_view name, uint64_t offset, uint64_t length) override;
  std::optional<ObjectInfo> stat(std::string_view name) override;
  void put(std::string_view name, std::string_view data, PutMode mode) override;
  void list(std::string_view prefix, std::string_view delimiter,
            const std::function<void(const ListEntry&)>& on_entry) override;
  void remove(std::string_view name) override;
  void flush() override { inner_.flush(); }

  std::atomic<uint64_t> gets{0}, stats{0}, puts{0}, lists{0}, removes{0}, bytes_in{0}, bytes_out{0};

 private:
  Store& inner_;
};

}  // namespace dm::store
