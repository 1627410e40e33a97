#include "common/cafs/key.h"

#include <algorithm>

#include "common/util/hex.h"

namespace dm::cafs {

Key::Key(const uint8_t* bytes) {
  std::copy_n(bytes, kSize, bytes_.begin());
}

std::optional<Key> Key::from_hex(std::string_view hex) {
  if (hex.size() != 2 * kSize) return std::nullopt;
  auto raw = dm::from_hex(hex);
  if (!raw) return std::nullopt;
  return Key(raw->data());
}

std::string Key::hex() const {
  return to_hex(bytes_);
}

}  // namespace dm::cafs
