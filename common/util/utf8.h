// Strict UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF),
// the rule YAML parsers apply; datamon documents must pass it.
#pragma once

#include <string_view>

namespace dm {

bool is_valid_utf8(std::string_view text);

}  // namespace dm
