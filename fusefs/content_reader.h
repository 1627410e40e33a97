// ContentReader: the bytes of a mounted file, by inode and byte range, as verified leaves.
//
// It maps a file's root key to its leaf keys (root blobs are read once and kept in a bounded
// LRU), asks the BlockCache for every leaf the range touches (all but the first as parallel
// prefetches, then the readahead window), and checks each leaf's length against the index:
// every leaf but the last must be one stride long (L, or L − 32768 for legacy version-0
// bundles), and the leaves must cover the size the index gives. Thread-safe; throws dm::Error
// naming the leaf or root object at fault.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common/cafs/reader.h"
#include "fusefs/block_cache.h"
#include "fusefs/bundle_index.h"
#include "fusefs/readahead.h"

namespace dm::fusefs {

// A slice of one leaf: bytes [offset, offset + length) of *data.
struct LeafSlice {
  LeafData data;
  size_t offset = 0;
  size_t length = 0;
};

struct ReadaheadOptions {
  size_t initial_leaves = 1;  // Go's --prefetch; 0 turns readahead off
  size_t max_leaves = 16;     // bound of the window (further bounded by the RAM budget)
};

class ContentReader {
 public:
  ContentReader(const BundleIndex& index, cafs::Reader& reader, BlockCache& cache, const ReadaheadOptions& readahead);

  // Up to `size` bytes of file `ino` from `offset`; empty at or past the end.
  std::vector<LeafSlice> read(Inode ino, uint64_t offset, uint64_t size);

 private:
  LeafList leaves_of(Inode ino);

  static constexpr size_t kMaxLeafLists = 10000;  // as Go's keys cache

  const BundleIndex& index_;
  cafs::Reader& reader_;
  BlockCache& cache_;
  Readahead readahead_;

  std::mutex mutex_;
  std::list<Inode> lru_;
  std::unordered_map<Inode, std::pair<LeafList, std::list<Inode>::iterator>> lists_;
};

}  // namespace dm::fusefs
