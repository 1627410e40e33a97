// ContentReader: the bytes of a mounted file, by inode and byte range, as verified leaves.
//
// It gets the file's leaf keys (LeafLists), asks the BlockCache for every leaf the range
// touches (the first on the caller's thread, the others in the demand lane, in parallel), tells
// the Prefetcher what was read, and checks each leaf's length against the index: every leaf but
// the last must be one stride long (L, or L − 32768 for legacy version-0 bundles), and the
// leaves must cover the size the index gives. Thread-safe; throws dm::Error naming the leaf or
// root object at fault.
#pragma once

#include <cstdint>
#include <vector>

#include "common/cafs/reader.h"
#include "fusefs/block_cache.h"
#include "fusefs/bundle_index.h"
#include "fusefs/leaf_lists.h"
#include "fusefs/prefetcher.h"
#include "fusefs/readahead.h"

namespace dm::fusefs {

// A slice of one leaf: bytes [offset, offset + length) of *data.
struct LeafSlice {
  LeafData data;
  size_t offset = 0;
  size_t length = 0;
};

class ContentReader {
 public:
  ContentReader(const BundleIndex& index, cafs::Reader& reader, LeafLists& lists, BlockCache& cache,
                Prefetcher& prefetcher, size_t readahead_max);

  // Up to `size` bytes of file `ino` from `offset`; empty at or past the end.
  std::vector<LeafSlice> read(Inode ino, uint64_t offset, uint64_t size);

 private:
  const BundleIndex& index_;
  cafs::Reader& reader_;
  LeafLists& lists_;
  BlockCache& cache_;
  Prefetcher& prefetcher_;
  Readahead readahead_;
};

}  // namespace dm::fusefs
