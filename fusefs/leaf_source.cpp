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
  std::unique_ptr<LeafBuffer> into;
  const size_t length = reader_.fetch_leaf_streamed(keys, index, [&](size_t size) {
    into = pool.take(size);
    return std::span<char>(into->data(), size);
  });
  into->set_size(length);
  return into;
}

}  // namespace dm::fusefs
