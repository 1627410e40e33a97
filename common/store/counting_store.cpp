#include "common/store/counting_store.h"

namespace dm::store {

std::string CountingStore::get(std::string_view name) {
  ++gets;
  auto body = target().get(name);
  bytes_in += body.size();
  return body;
}

void CountingStore::get_into(std::string_view name, std::string& out, uint64_t max_size) {
  ++gets;
  target().get_into(name, out, max_size);
  bytes_in += out.size();
}

size_t CountingStore::read_into(std::string_view name, uint64_t max_size, const BufferFor& buffer_for,
                                const OnArrived& on_arrived) {
  ++gets;
  const size_t size = target().read_into(name, max_size, buffer_for, on_arrived);
  bytes_in += size;
  return size;
}

std::string CountingStore::get_range(std::string_view name, uint64_t offset, uint64_t length) {
  ++gets;
  auto body = target().get_range(name, offset, length);
  bytes_in += body.size();
  return body;
}

std::optional<ObjectInfo> CountingStore::stat(std::string_view name) {
  ++stats;
  return target().stat(name);
}

void CountingStore::put(std::string_view name, std::string_view data, PutMode mode) {
  ++puts;
  bytes_out += data.size();
  target().put(name, data, mode);
}

void CountingStore::list(std::string_view prefix, std::string_view delimiter,
                         const std::function<void(const ListEntry&)>& on_entry) {
  ++lists;
  target().list(prefix, delimiter, on_entry);
}

void CountingStore::remove(std::string_view name) {
  ++removes;
  target().remove(name);
}

std::vector<std::string> CountingStore::list_versions(std::string_view name) {
  ++lists;
  return target().list_versions(name);
}

std::string CountingStore::read_version(std::string_view name, std::string_view version, uint64_t max_size) {
  ++gets;
  auto body = target().read_version(name, version, max_size);
  bytes_in += body.size();
  return body;
}

}  // namespace dm::store
