#include "fusefs/content_reader.h"

#include <algorithm>

#include "common/util/error.h"

namespace dm::fusefs {

namespace {

size_t bounded_window(const ReadaheadOptions& o, uint64_t stride, uint64_t ram_budget) {
  // Prefetched leaves must not evict one another before they are read: keep the window to
  // half of the RAM tier.
  const uint64_t fit = stride == 0 ? 0 : ram_budget / stride / 2;
  return static_cast<size_t>(std::min<uint64_t>(o.max_leaves, std::max<uint64_t>(fit, 1)));
}

}  // namespace

ContentReader::ContentReader(const BundleIndex& index, cafs::Reader& reader, BlockCache& cache,
                             const ReadaheadOptions& readahead)
    : index_(index),
      reader_(reader),
      cache_(cache),
      readahead_(readahead.initial_leaves, bounded_window(readahead, reader.stride(), cache.ram_budget()),
                 reader.stride()) {}

LeafList ContentReader::leaves_of(Inode ino) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = lists_.find(ino); it != lists_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.second);
      return it->second.first;
    }
  }
  auto keys = std::make_shared<const std::vector<cafs::Key>>(reader_.leaf_keys(index_.root_key(ino)));
  const uint64_t stride = reader_.stride();
  const uint64_t size = index_.size(ino);
  const uint64_t expected = (size + stride - 1) / stride;
  if (keys->size() != expected) {
    throw Error(ErrorKind::Corrupt, "root blob " + store::object_url(reader_.blobs(), index_.root_key(ino).hex()) +
                                        " lists " + std::to_string(keys->size()) + " leaves but the index gives " +
                                        std::to_string(size) + " bytes (" + std::to_string(expected) + " leaves)");
  }
  std::lock_guard lock(mutex_);
  if (auto it = lists_.find(ino); it != lists_.end()) return it->second.first;
  lru_.push_front(ino);
  lists_.emplace(ino, std::pair{keys, lru_.begin()});
  if (lists_.size() > kMaxLeafLists) {
    lists_.erase(lru_.back());
    lru_.pop_back();
  }
  return keys;
}

std::vector<LeafSlice> ContentReader::read(Inode ino, uint64_t offset, uint64_t size) {
  const uint64_t file_size = index_.size(ino);
  if (offset >= file_size || size == 0) return {};
  const uint64_t end = std::min(file_size, offset + size);
  const auto leaves = leaves_of(ino);
  const uint64_t stride = reader_.stride();
  const size_t count = leaves->size();
  const size_t first = offset / stride;
  const size_t last = (end - 1) / stride;

  const size_t window = readahead_.on_read(ino, offset, end);
  for (size_t i = first + 1; i <= last; ++i) cache_.prefetch(leaves, i);
  for (size_t i = last + 1; i < count && i <= last + window; ++i) cache_.prefetch(leaves, i);

  std::vector<LeafSlice> out;
  out.reserve(last - first + 1);
  for (size_t i = first; i <= last; ++i) {
    auto data = cache_.get(leaves, i);
    const uint64_t leaf_start = i * stride;
    const uint64_t expected = i + 1 < count ? stride : file_size - leaf_start;
    if (data->size() != expected) {
      throw Error(ErrorKind::Corrupt, "leaf " + store::object_url(reader_.blobs(), (*leaves)[i].hex()) + " has " +
                                          std::to_string(data->size()) + " bytes where " + std::to_string(expected) +
                                          " were expected");
    }
    const uint64_t from = std::max(offset, leaf_start) - leaf_start;
    const uint64_t to = std::min(end, leaf_start + data->size()) - leaf_start;
    out.push_back({std::move(data), static_cast<size_t>(from), static_cast<size_t>(to - from)});
  }
  return out;
}

}  // namespace dm::fusefs
