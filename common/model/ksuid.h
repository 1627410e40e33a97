// KSUID bundle ids (segmentio/ksuid v1.0.4, spec §3.1): 4-byte big-endian timestamp in
// seconds since 1 400 000 000, then 16 random bytes; text is base62 (0-9A-Za-z), left-padded
// with '0' to 27 characters, so text order is time order at one-second resolution.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dm::model {

using KsuidBytes = std::array<uint8_t, 20>;

std::string ksuid_encode(const KsuidBytes& raw);
std::optional<KsuidBytes> ksuid_decode(std::string_view text);
// A new id for the current time with 16 random bytes from the OS.
std::string ksuid_new();
// The Unix time (seconds) an id was made at; nullopt if it is not a ksuid.
std::optional<int64_t> ksuid_time(std::string_view text);
bool is_ksuid(std::string_view text);

}  // namespace dm::model
