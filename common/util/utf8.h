// UTF-8: strict validation (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF),
// the rule YAML parsers apply and datamon documents must pass; and the one encoder of a code point.
#pragma once

#include <string>
#include <string_view>

namespace dm {

bool is_valid_utf8(std::string_view text);

// Appends the UTF-8 form of `code_point`; a surrogate or a value past U+10FFFF is appended as
// U+FFFD, as Go's utf8.AppendRune does.
void append_utf8(std::string& out, char32_t code_point);

}  // namespace dm
