#include "fusefs/leaf_source.h"

#include "common/util/error.h"

namespace dm::fusefs {

LeafSource::LeafSource(cafs::Reader& reader) : reader_(reader) {}

bool LeafSource::verifies(std::string_view data, std::span<const cafs::Key> keys, size_t index) const {
  if (!reader_.verify()) return true;
  try {
    reader_.verify_leaf(data, keys[index], index, keys.size());
    return true;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Corrupt) return false;
    throw;
  }
}

std::unique_ptr<LeafBuffer> LeafSource::fetch(std::span<const cafs::Key> keys, size_t index, LeafPool& pool) {
  // Leaf names are 128 hex digits (Key::hex): always a valid object name at the bucket's root.
  const auto name = keys[index].hex();
  std::unique_ptr<LeafBuffer> into;
  size_t length = 0;
  try {
    length = reader_.blobs().read_into(name, pool.buffer_capacity(), [&](size_t size) {
      into = pool.take(size);
      return std::span<char>(into->data(), size);
    });
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound)
      throw Error(ErrorKind::NotFound, "leaf " + store::object_url(reader_.blobs(), name) + " is missing");
    throw;
  }
  into->set_size(length);
  if (reader_.verify()) reader_.verify_leaf(into->view(), keys[index], index, keys.size());
  return into;
}

}  // namespace dm::fusefs
