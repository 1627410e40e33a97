// Key: a 64-byte BLAKE2b digest naming a CAFS object (a leaf or a root blob).
// Its text form, and the object's name in the blob bucket, is 128 lowercase hex characters.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace dm::cafs {

class Key {
 public:
  static constexpr size_t kSize = 64;
  using Bytes = std::array<uint8_t, kSize>;

  Key() : bytes_{} {}
  explicit Key(const Bytes& bytes) : bytes_(bytes) {}
  explicit Key(const uint8_t* bytes);

  // nullopt unless `hex` is exactly 128 hex characters.
  static std::optional<Key> from_hex(std::string_view hex);

  std::string hex() const;
  const Bytes& bytes() const { return bytes_; }
  const uint8_t* data() const { return bytes_.data(); }

  friend bool operator==(const Key&, const Key&) = default;
  friend auto operator<=>(const Key&, const Key&) = default;

 private:
  Bytes bytes_;
};

struct KeyHash {
  size_t operator()(const Key& k) const noexcept {
    size_t h;
    static_assert(sizeof h <= Key::kSize);
    __builtin_memcpy(&h, k.data(), sizeof h);  // a digest is already uniformly distributed
    return h;
  }
};

}  // namespace dm::cafs
