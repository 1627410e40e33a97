// BLAKE2b tree hashing exactly as datamon does it (format spec §4), on libb2.
//
// Leaves: fanout 0, depth 2, leaf_size L, node_depth 0, inner 64. Full leaf i (0-based) uses
// node_offset i+1 and is never "last"; a trailing partial leaf reuses node_offset F (the
// number of full leaves) and is the only leaf flagged last; a file that is an exact multiple
// of L has no last leaf. Root: node_offset 0, node_depth 1, last, over the concatenated raw
// leaf keys. The leaf size is in the parameter block, so keys depend on it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "common/cafs/key.h"

namespace dm::cafs {

// Node offset and last flag of leaf `index` of `count` whose length is `length`, by the
// reader's rule: the final leaf of a length other than L is (index, last), any other is
// (index + 1, not last). For a writer this is the same as the rule above.
struct LeafPosition {
  uint64_t node_offset;
  bool last;
};
LeafPosition leaf_position(uint64_t index, uint64_t count, uint64_t length, uint32_t leaf_size);

Key leaf_key(std::span<const uint8_t> data, uint32_t leaf_size, LeafPosition position);

// Key of leaf `index` of `count`, by the rule above.
Key leaf_key_at(std::span<const uint8_t> data, uint32_t leaf_size, uint64_t index, uint64_t count);

// The key of one leaf hashed as its bytes arrive (a download in pieces): the same key as
// leaf_key_at over the whole leaf. The leaf's length must be known up front, because the last
// leaf's node offset depends on it (spec §4).
class LeafHasher {
 public:
  LeafHasher(uint32_t leaf_size, uint64_t index, uint64_t count, uint64_t length);
  ~LeafHasher();
  LeafHasher(const LeafHasher&) = delete;
  LeafHasher& operator=(const LeafHasher&) = delete;

  void update(std::span<const uint8_t> bytes);
  // The key, when exactly `length` bytes were given; nullopt otherwise (a source that sent
  // another length than it announced: the caller hashes what it holds instead).
  std::optional<Key> finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
  uint64_t length_;
  uint64_t seen_ = 0;
};

Key root_key(std::span<const Key> leaves, uint32_t leaf_size);

// Smallest and largest leaf sizes datamon accepts.
constexpr uint32_t kMinLeafSize = 64;
constexpr uint32_t kMaxLeafSize = 5 * 1024 * 1024;
constexpr uint32_t kDefaultLeafSize = 2 * 1024 * 1024;
// Legacy (version 0) bundles hold leaves this much shorter than leafSize (spec §4.9).
constexpr uint32_t kLegacyLeafTruncation = 32768;

}  // namespace dm::cafs
