#include "fusefs/content_reader.h"

#include <algorithm>

#include "common/util/error.h"

namespace dm::fusefs {

namespace {

size_t bounded_window(size_t max_leaves, uint64_t stride, uint64_t ram_budget) {
  // Prefetched leaves must not evict one another before they are read: keep the window to
  // half of the RAM tier.
  const uint64_t fit = stride == 0 ? 0 : ram_budget / stride / 2;
  return static_cast<size_t>(std::min<uint64_t>(max_leaves, std::max<uint64_t>(fit, 1)));
}

}  // namespace

ContentReader::ContentReader(const BundleIndex& index, cafs::Reader& reader, LeafLists& lists, BlockCache& cache,
                             Prefetcher& prefetcher, size_t readahead_max)
    : index_(index),
      reader_(reader),
      lists_(lists),
      cache_(cache),
      prefetcher_(prefetcher),
      readahead_(prefetcher.enabled() ? 1 : 0, bounded_window(readahead_max, reader.stride(), cache.ram_budget()),
                 reader.stride()) {}

std::vector<LeafSlice> ContentReader::read(Inode ino, uint64_t offset, uint64_t size) {
  const uint64_t file_size = index_.size(ino);
  if (offset >= file_size || size == 0) return {};
  const uint64_t end = std::min(file_size, offset + size);
  const auto leaves = lists_.get(ino);
  const uint64_t stride = reader_.stride();
  const size_t count = leaves->size();
  const size_t first = offset / stride;
  const size_t last = (end - 1) / stride;

  const auto decision = readahead_.on_read(ino, offset, end);
  for (size_t i = first + 1; i <= last; ++i) cache_.fetch_ahead(leaves, i);

  std::vector<LeafSlice> out;
  out.reserve(last - first + 1);
  for (size_t i = first; i <= last; ++i) {
    const uint64_t leaf_start = i * stride;
    const uint64_t expected = i + 1 < count ? stride : file_size - leaf_start;
    auto data = cache_.get(leaves, i, expected);
    if (data->size() != expected) {
      throw Error(ErrorKind::Corrupt, "leaf " + store::object_url(reader_.blobs(), (*leaves)[i].hex()) + " has " +
                                          std::to_string(data->size()) + " bytes where " + std::to_string(expected) +
                                          " were expected");
    }
    prefetcher_.on_leaf_read(ino, i, data, decision.random);
    const uint64_t from = std::max(offset, leaf_start) - leaf_start;
    const uint64_t to = std::min(end, leaf_start + data->size()) - leaf_start;
    out.push_back({std::move(data), static_cast<size_t>(from), static_cast<size_t>(to - from)});
  }
  // Guesses only once this read has its leaves: a cold first byte is one fetch on its own, not
  // one of several sharing the link and the cores that verify them.
  prefetcher_.on_read(ino, leaves, decision, first, last);
  return out;
}

}  // namespace dm::fusefs
