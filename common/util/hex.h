// Lowercase hexadecimal encoding of byte strings.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dm {

std::string to_hex(std::span<const uint8_t> bytes);
// Decodes hex (either case); nullopt when the text has odd length or a non-hex character.
std::optional<std::vector<uint8_t>> from_hex(std::string_view text);

}  // namespace dm
