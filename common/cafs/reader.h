// Reader: fetches a file's content from the blob bucket by its root key.
//
// Every leaf fetched from the store is BLAKE2b-verified (unless verification is switched off)
// before anyone sees it; a mismatch is a Corrupt error naming the leaf object. Legacy
// (version 0) bundles place leaf i at i·(L − 32768) (decision 1). Thread-safe.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "common/cafs/key.h"
#include "common/store/store.h"
#include "common/util/progress.h"
#include "common/util/thread_pool.h"

namespace dm::cafs {

class Reader {
 public:
  Reader(store::Store& blobs, uint32_t leaf_size, bool legacy, bool verify = true);

  // Reads and validates the root blob of `root`; returns the file's leaf keys in order.
  std::vector<Key> leaf_keys(const Key& root);
  // The root blob of `root` as stored, not validated (decode_root_blob does); NotFound names it.
  std::string root_blob(const Key& root);

  // Fetches leaf `index` of `keys`, verified.
  std::string fetch_leaf(std::span<const Key> keys, size_t index);

  // The same into `out` (replaced), reusing its memory where the store can: for callers that
  // fetch leaf after leaf on one thread. `out` is unspecified after an error.
  void fetch_leaf_into(std::span<const Key> keys, size_t index, std::string& out);

  // The same into the memory `buffer_for(size)` returns (Store::read_into, which may call it
  // again for a retried download); returns the leaf's length. The leaf is hashed as its bytes
  // arrive, so its check ends with its last byte. The buffer's content is unspecified after
  // an error.
  size_t fetch_leaf_streamed(std::span<const Key> keys, size_t index, const store::Store::BufferFor& buffer_for);

  // Writes the whole file (leaves fetched in parallel on `pool`) to the open descriptor `fd`
  // and truncates it to the content's length, which must equal `expected_size`. A file of
  // several full-size leaves has its space allocated first (no more than its verified leaf count
  // can fill) and its leaves written side by side past the page cache.
  void read_file_to(const Key& root, uint64_t expected_size, int fd, const std::string& path, ThreadPool& pool,
                    Progress* progress = nullptr);

  // Distance between the starts of consecutive leaves in the file: L, or L − 32768 for legacy.
  uint64_t stride() const { return stride_; }
  uint32_t leaf_size() const { return leaf_size_; }
  bool verify() const { return verify_; }
  store::Store& blobs() { return blobs_; }

  // Checks `data` against the key of leaf `index` of `count`; throws Corrupt naming the object.
  void verify_leaf(std::string_view data, const Key& key, size_t index, size_t count) const;

 private:
  store::Store& blobs_;
  uint32_t leaf_size_;
  uint64_t stride_;
  bool verify_;
};

}  // namespace dm::cafs
