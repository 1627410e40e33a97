#include "common/model/ksuid.h"

#include <sys/random.h>

#include <chrono>

#include "common/util/error.h"

namespace dm::model {

namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr size_t kTextLength = 27;
constexpr int64_t kEpoch = 1400000000;

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  if (c >= 'a' && c <= 'z') return c - 'a' + 36;
  return -1;
}

}  // namespace

std::string ksuid_encode(const KsuidBytes& raw) {
  // Repeated division of the 160-bit big-endian number by 62, in 32-bit words.
  std::array<uint32_t, 5> words{};
  for (size_t i = 0; i < 5; ++i) {
    words[i] = static_cast<uint32_t>(raw[4 * i]) << 24 | static_cast<uint32_t>(raw[4 * i + 1]) << 16 |
               static_cast<uint32_t>(raw[4 * i + 2]) << 8 | raw[4 * i + 3];
  }
  std::string out(kTextLength, '0');
  size_t pos = kTextLength;
  auto is_zero = [&] {
    for (auto w : words)
      if (w != 0) return false;
    return true;
  };
  while (!is_zero()) {
    uint64_t rem = 0;
    for (auto& w : words) {
      const uint64_t cur = rem << 32 | w;
      w = static_cast<uint32_t>(cur / 62);
      rem = cur % 62;
    }
    out[--pos] = kAlphabet[rem];
  }
  return out;
}

std::optional<KsuidBytes> ksuid_decode(std::string_view text) {
  if (text.size() != kTextLength) return std::nullopt;
  std::array<uint32_t, 5> words{};
  for (const char c : text) {
    const int v = digit_value(c);
    if (v < 0) return std::nullopt;
    uint64_t carry = static_cast<uint64_t>(v);
    for (size_t i = 5; i-- > 0;) {
      const uint64_t cur = static_cast<uint64_t>(words[i]) * 62 + carry;
      words[i] = static_cast<uint32_t>(cur);
      carry = cur >> 32;
    }
    if (carry != 0) return std::nullopt;  // overflows 160 bits
  }
  KsuidBytes raw{};
  for (size_t i = 0; i < 5; ++i) {
    raw[4 * i] = static_cast<uint8_t>(words[i] >> 24);
    raw[4 * i + 1] = static_cast<uint8_t>(words[i] >> 16);
    raw[4 * i + 2] = static_cast<uint8_t>(words[i] >> 8);
    raw[4 * i + 3] = static_cast<uint8_t>(words[i]);
  }
  return raw;
}

std::string ksuid_new() {
  KsuidBytes raw{};
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto ts = static_cast<uint32_t>(now - kEpoch);
  raw[0] = static_cast<uint8_t>(ts >> 24);
  raw[1] = static_cast<uint8_t>(ts >> 16);
  raw[2] = static_cast<uint8_t>(ts >> 8);
  raw[3] = static_cast<uint8_t>(ts);
  size_t got = 0;
  while (got < 16) {
    const ssize_t n = getrandom(raw.data() + 4 + got, 16 - got, 0);
    if (n < 0) throw_errno("cannot read random bytes", "getrandom");
    got += static_cast<size_t>(n);
  }
  return ksuid_encode(raw);
}

std::optional<int64_t> ksuid_time(std::string_view text) {
  const auto raw = ksuid_decode(text);
  if (!raw) return std::nullopt;
  const uint32_t ts = static_cast<uint32_t>((*raw)[0]) << 24 | static_cast<uint32_t>((*raw)[1]) << 16 |
                      static_cast<uint32_t>((*raw)[2]) << 8 | (*raw)[3];
  return kEpoch + ts;
}

bool is_ksuid(std::string_view text) {
  return ksuid_decode(text).has_value();
}

}  // namespace dm::model
