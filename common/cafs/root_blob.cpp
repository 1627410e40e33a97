#include "common/cafs/root_blob.h"

#include "common/cafs/hasher.h"
#include "common/util/error.h"

namespace dm::cafs {

std::string encode_root_blob(const std::vector<Key>& leaves, const Key& root) {
  std::string out;
  out.reserve(Key::kSize * (leaves.size() + 1));
  for (const auto& k : leaves) out.append(reinterpret_cast<const char*>(k.data()), Key::kSize);
  out.append(reinterpret_cast<const char*>(root.data()), Key::kSize);
  return out;
}

std::vector<Key> decode_root_blob(std::string_view blob, const Key& expected, uint32_t leaf_size,
                                  const std::string& object) {
  if (blob.size() < Key::kSize || blob.size() % Key::kSize != 0) {
    throw Error(ErrorKind::Corrupt, "root blob " + object + " has a bad length of " + std::to_string(blob.size()) +
                                        " bytes (want a multiple of 64)");
  }
  const size_t n = blob.size() / Key::kSize - 1;
  std::vector<Key> leaves;
  leaves.reserve(n);
  const auto* p = reinterpret_cast<const uint8_t*>(blob.data());
  for (size_t i = 0; i < n; ++i) leaves.emplace_back(p + i * Key::kSize);
  const Key trailer(p + n * Key::kSize);
  if (root_key(leaves, leaf_size) != trailer) {
    throw Error(ErrorKind::Corrupt,
                "root blob " + object + " fails its checksum (leaf size " + std::to_string(leaf_size) + ")");
  }
  if (trailer != expected) {
    throw Error(ErrorKind::Corrupt, "root blob " + object + " holds the root of another file (" + trailer.hex() + ")");
  }
  return leaves;
}

}  // namespace dm::cafs
