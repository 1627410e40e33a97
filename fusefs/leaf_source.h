// LeafSource: fetches one leaf of a file from the blob store into a buffer the caller owns,
// and verifies it (unless verification is off) before returning.
//
// From a local folder store it reads the object file with pread straight into the buffer, so a
// recycled buffer (LeafPool) is refilled in place with one copy and no page faults; from any
// other store it goes through Store::get and copies. Errors are those of cafs::Reader::fetch_leaf:
// NotFound "leaf <object> is missing", Corrupt naming the leaf object (also for an object longer
// than the leaf size, verified or not), Io naming the file. Thread-safe.
#pragma once

#include <span>
#include <string>

#include "common/cafs/key.h"
#include "common/cafs/reader.h"
#include "common/store/local_store.h"
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
  std::unique_ptr<LeafBuffer> read_local(const std::string& name, LeafPool& pool);
  [[noreturn]] void too_long(const std::string& name) const;

  cafs::Reader& reader_;
  const store::LocalStore* local_;  // the blob store when it is a local folder
};

}  // namespace dm::fusefs
