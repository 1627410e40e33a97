#include "common/store/fault_injecting_store.h"

#include <thread>

namespace dm::store {

FaultInjectingStore::FaultInjectingStore(Store& inner, FaultPlan plan)
    : StoreWrapper(inner), plan_(plan), rng_(plan.seed) {}

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
    throw Error(plan.error_kind, "injected fault: " + std::string(op) + " " + object_url(target(), name) + " failed");
  }
}

size_t FaultInjectingStore::damage(char* body, size_t size) {
  std::lock_guard lock(mutex_);
  if (size != 0 && roll(plan_.short_read_rate)) {
    ++faults_;
    size /= 2;
  }
  if (size != 0 && roll(plan_.corrupt_rate)) {
    ++faults_;
    std::uniform_int_distribution<size_t> pos(0, size - 1);
    body[pos(rng_)] ^= 0x5a;
  }
  return size;
}

std::string FaultInjectingStore::get(std::string_view name) {
  before_call("get", name, false);
  auto body = target().get(name);
  body.resize(damage(body.data(), body.size()));
  return body;
}

void FaultInjectingStore::get_into(std::string_view name, std::string& out, uint64_t max_size) {
  before_call("get", name, false);
  target().get_into(name, out, max_size);
  out.resize(damage(out.data(), out.size()));
}

size_t FaultInjectingStore::read_into(std::string_view name, uint64_t max_size, const BufferFor& buffer_for,
                                      const OnArrived& on_arrived) {
  before_call("get", name, false);
  char* body = nullptr;
  const size_t size = target().read_into(name, max_size,
                                         [&](size_t length) {
                                           const auto buffer = buffer_for(length);
                                           body = buffer.data();
                                           return buffer;
                                         },
                                         {});
  // The caller sees the damaged bytes arrive, as it would from a store that sent them.
  const size_t damaged = damage(body, size);
  if (on_arrived) on_arrived({body, damaged});
  return damaged;
}

std::string FaultInjectingStore::get_range(std::string_view name, uint64_t offset, uint64_t length) {
  before_call("get", name, false);
  auto body = target().get_range(name, offset, length);
  body.resize(damage(body.data(), body.size()));
  return body;
}

std::optional<ObjectInfo> FaultInjectingStore::stat(std::string_view name) {
  before_call("stat", name, false);
  return target().stat(name);
}

void FaultInjectingStore::put(std::string_view name, std::string_view data, PutMode mode) {
  before_call("put", name, true);
  target().put(name, data, mode);
}

void FaultInjectingStore::list(std::string_view prefix, std::string_view delimiter,
                               const std::function<void(const ListEntry&)>& on_entry) {
  before_call("list", prefix, false);
  target().list(prefix, delimiter, on_entry);
}

void FaultInjectingStore::remove(std::string_view name) {
  before_call("remove", name, true);
  target().remove(name);
}

std::vector<std::string> FaultInjectingStore::list_versions(std::string_view name) {
  before_call("list", name, false);
  return target().list_versions(name);
}

std::string FaultInjectingStore::read_version(std::string_view name, std::string_view version, uint64_t max_size) {
  before_call("get", name, false);
  auto body = target().read_version(name, version, max_size);
  body.resize(damage(body.data(), body.size()));
  return body;
}

}  // namespace dm::store
