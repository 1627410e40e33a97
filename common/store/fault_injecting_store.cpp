#include "common/store/fault_injecting_store.h"

#include <thread>

namespace dm::store {

FaultInjectingStore::FaultInjectingStore(Store& inner, FaultPlan plan) : inner_(inner), plan_(plan), rng_(plan.seed) {}

void FaultInjectingStore::set_plan(FaultPlan plan) {
  std::lock_guard lock(mutex_);
  plan_ = plan;
  rng_.seed(plan.seed);
}

bool FaultInjectingStore::roll(double rate) {
  if (rate <= 0) return false;
  std::uniform_real_distribution<double> d(0.0, 1.0);
  return d(rng_) < rate;
}

void FaultInjectingStore::before_call(std::string_view op, std::string_view name, bool is_put) {
  const uint64_t n = ++calls_;
  FaultPlan plan;
  bool fail = false;
  {
    std::lock_guard lock(mutex_);
    plan = plan_;
    const bool eligible = !plan.fail_puts_only || is_put;
    fail = eligible && ((plan.fail_on_call != 0 && n == plan.fail_on_call) || roll(plan.error_rate));
  }
  if (plan.latency.count() > 0) std::this_thread::sleep_for(plan.latency);
  if (fail) {
    ++faults_;
    throw Error(plan.error_kind, "injected fault: " + std::string(op) + " " + object_url(inner_, name) + " failed");
  }
}

std::string FaultInjectingStore::damage(std::string body) {
  std::lock_guard lock(mutex_);
  if (!body.empty() && roll(plan_.short_read_rate)) {
    ++faults_;
    body.resize(body.size() / 2);
  }
  if (!body.empty() && roll(plan_.corrupt_rate)) {
    ++faults_;
    std::uniform_int_distribution<size_t> pos(0, body.size() - 1);
    body[pos(rng_)] ^= 0x5a;
  }
  return body;
}

std::string FaultInjectingStore::get(std::string_view name) {
  before_call("get", name, false);
  return damage(inner_.get(name));
}

std::string FaultInjectingStore::get_range(std::string_view name, uint64_t offset, uint64_t length) {
  before_call("get", name, false);
  return damage(inner_.get_range(name, offset, length));
}

std::optional<ObjectInfo> FaultInjectingStore::stat(std::string_view name) {
  before_call("stat", name, false);
  return inner_.stat(name);
}

void FaultInjectingStore::put(std::string_view name, std::string_view data, PutMode mode) {
  before_call("put", name, true);
  inner_.put(name, data, mode);
}

void FaultInjectingStore::list(std::string_view prefix, std::string_view delimiter,
                               const std::function<void(const ListEntry&)>& on_entry) {
  before_call("list", prefix, false);
  inner_.list(prefix, delimiter, on_entry);
}

void FaultInjectingStore::remove(std::string_view name) {
  before_call("remove", name, true);
  inner_.remove(name);
}

std::string CountingStore::get(std::string_view name) {
  ++gets;
  auto body = inner_.get(name);
  bytes_in += body.size();
  return body;
}

std::string CountingStore::get_range(std::string_view name, uint64_t offset, uint64_t length) {
  ++gets;
  auto body = inner_.get_range(name, offset, length);
  bytes_in += body.size();
  return body;
}

std::optional<ObjectInfo> CountingStore::stat(std::string_view name) {
  ++stats;
  return inner_.stat(name);
}

void CountingStore::put(std::string_view name, std::string_view data, PutMode mode) {
  ++puts;
  bytes_out += data.size();
  inner_.put(name, data, mode);
}

void CountingStore::list(std::string_view prefix, std::string_view delimiter,
                         const std::function<void(const ListEntry&)>& on_entry) {
  ++lists;
  inner_.list(prefix, delimiter, on_entry);
}

void CountingStore::remove(std::string_view name) {
  ++removes;
  inner_.remove(name);
}

}  // namespace dm::store
