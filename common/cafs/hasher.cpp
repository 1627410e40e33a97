#include "common/cafs/hasher.h"

#include <cstring>

#include "common/cafs/blake2b_impl.h"
#include "common/util/error.h"

namespace dm::cafs {

namespace {

blake2b_state init_state(uint32_t leaf_size, uint64_t node_offset, uint8_t node_depth, bool last) {
  blake2b_param p;
  std::memset(&p, 0, sizeof p);
  p.digest_length = Key::kSize;
  p.fanout = 0;
  p.depth = 2;
  // libb2 reads the parameter block as raw little-endian bytes; these stores are little-endian
  // on every target we build for (x86-64, arm64).
  p.leaf_length = leaf_size;
  p.node_offset = node_offset;
  p.node_depth = node_depth;
  p.inner_length = Key::kSize;
  blake2b_state s;
  if (blake2b_impl().init_param(&s, &p) != 0) throw Error(ErrorKind::Internal, "blake2b_init_param failed");
  s.last_node = last ? 1 : 0;
  return s;
}

Key finish(blake2b_state& s) {
  Key::Bytes out;
  if (blake2b_impl().final(&s, out.data(), out.size()) != 0) throw Error(ErrorKind::Internal, "blake2b_final failed");
  return Key(out);
}

}  // namespace

LeafPosition leaf_position(uint64_t index, uint64_t count, uint64_t length, uint32_t leaf_size) {
  if (index + 1 == count && length != leaf_size) return {index, true};
  return {index + 1, false};
}

Key leaf_key(std::span<const uint8_t> data, uint32_t leaf_size, LeafPosition position) {
  auto s = init_state(leaf_size, position.node_offset, 0, position.last);
  blake2b_impl().update(&s, data.data(), data.size());
  return finish(s);
}

Key leaf_key_at(std::span<const uint8_t> data, uint32_t leaf_size, uint64_t index, uint64_t count) {
  return leaf_key(data, leaf_size, leaf_position(index, count, data.size(), leaf_size));
}

struct LeafHasher::State {
  blake2b_state s;
};

LeafHasher::LeafHasher(uint32_t leaf_size, uint64_t index, uint64_t count, uint64_t length)
    : state_(std::make_unique<State>()), length_(length) {
  const auto position = leaf_position(index, count, length, leaf_size);
  state_->s = init_state(leaf_size, position.node_offset, 0, position.last);
}

LeafHasher::~LeafHasher() = default;

void LeafHasher::update(std::span<const uint8_t> bytes) {
  blake2b_impl().update(&state_->s, bytes.data(), bytes.size());
  seen_ += bytes.size();
}

std::optional<Key> LeafHasher::finish() {
  if (seen_ != length_) return std::nullopt;
  return cafs::finish(state_->s);
}

Key root_key(std::span<const Key> leaves, uint32_t leaf_size) {
  auto s = init_state(leaf_size, 0, 1, true);
  for (const auto& k : leaves) blake2b_impl().update(&s, k.data(), Key::kSize);
  return finish(s);
}

}  // namespace dm::cafs
