// StoreWrapper: a Store that forwards every call to another Store, as LevelDB's EnvWrapper does
// for an Env.
//
// A decorator (fault injection, counting, metrics) derives from it and overrides only the calls
// it changes; a method added to Store is added here too, so it reaches the wrapped store instead
// of being served by Store's generic fallback behind the decorator's back. The wrapped store
// must outlive the wrapper. Thread-safe as the wrapped store is.
#pragma once

#include "common/store/store.h"

namespace dm::store {

class StoreWrapper : public Store {
 public:
  explicit StoreWrapper(Store& target) : target_(target) {}
  StoreWrapper(const StoreWrapper&) = delete;
  StoreWrapper& operator=(const StoreWrapper&) = delete;

  // The store every call goes to.
  Store& target() const { return target_; }

  std::string describe() const override { return target_.describe(); }
  std::string get(std::string_view name) override { return target_.get(name); }
  void get_into(std::string_view name, std::string& out, uint64_t max_size) override {
    target_.get_into(name, out, max_size);
  }
  size_t read_into(std::string_view name, uint64_t max_size, const BufferFor& buffer_for,
                   const OnArrived& on_arrived) override {
    return target_.read_into(name, max_size, buffer_for, on_arrived);
  }
  std::string get_range(std::string_view name, uint64_t offset, uint64_t length) override {
    return target_.get_range(name, offset, length);
  }
  std::optional<ObjectInfo> stat(std::string_view name) override { return target_.stat(name); }
  void put(std::string_view name, std::string_view data, PutMode mode) override { target_.put(name, data, mode); }
  void list(std::string_view prefix, std::string_view delimiter,
            const std::function<void(const ListEntry&)>& on_entry) override {
    target_.list(prefix, delimiter, on_entry);
  }
  void remove(std::string_view name) override { target_.remove(name); }
  bool remove_if_older(std::string_view name, int64_t cutoff) override { return target_.remove_if_older(name, cutoff); }
  void flush() override { target_.flush(); }
  bool write_first_is_cheaper() const override { return target_.write_first_is_cheaper(); }
  bool is_versioned() override { return target_.is_versioned(); }
  std::vector<std::string> list_versions(std::string_view name) override { return target_.list_versions(name); }
  std::string read_version(std::string_view name, std::string_view version, uint64_t max_size) override {
    return target_.read_version(name, version, max_size);
  }

 private:
  Store& target_;
};

}  // namespace dm::store
