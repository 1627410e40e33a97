// CountingStore: a Store decorator that counts calls and bytes per operation, for tests that
// assert "no request per known leaf" and for metrics.
//
// Every read of an object (get, get_into, read_into, get_range, read_version) counts as one get
// and its bytes as bytes_in, a version listing as one list; the calls themselves go to the
// wrapped store unchanged. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

#include "common/store/store_wrapper.h"

namespace dm::store {

class CountingStore final : public StoreWrapper {
 public:
  explicit CountingStore(Store& inner) : StoreWrapper(inner) {}

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

  std::atomic<uint64_t> gets{0}, stats{0}, puts{0}, lists{0}, removes{0}, bytes_in{0}, bytes_out{0};
};

}  // namespace dm::store
