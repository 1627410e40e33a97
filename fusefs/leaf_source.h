// LeafSource: fetches one leaf of a file from the blob store into a buffer the caller owns,
// and verifies it (unless verification is off) before returning.
//
// It reads through Reader::fetch_leaf_streamed, so a local folder store fills a recycled buffer
// (LeafPool) in place with pread and an HTTP store streams the body into it (one copy, no page
// faults), the leaf hashed as it arrives.
// Errors are those of cafs::Reader::fetch_leaf: NotFound "leaf <object> is missing", Corrupt
// naming the leaf object (also for an object longer than the leaf size, verified or not), Io
// naming the file. Thread-safe.
#pragma once

#include <span>
#include <string>

#include "common/cafs/key.h"
#include "common/cafs/reader.h"
#include "fusefs/leaf_pool.h"

namespace dm::fusefs {

class LeafSource {
 public:
  explicit LeafSource(cafs::Reader& reader);

  // Leaf `index` of `keys` in a buffer from `pool` (whose buffer capacity is the leaf size).
  std::unique_ptr<LeafBuffer> fetch(std::span<const cafs::Key> keys, size_t index, LeafPool& pool);

  // Whether `data`, from anywhere (a cache), may be served as leaf `index` of `keys`: it hashes
  // to its key, or verification is off.
  bool verifies(std::string_view data, std::span<const cafs::Key> keys, size_t index) const;

 private:
  cafs::Reader& reader_;
};

}  // namespace dm::fusefs
