// ASCII case folding for protocol tokens (HTTP header names, URL schemes, config keys, units):
// bytes outside A-Z pass through unchanged, whatever the locale.
#pragma once

#include <string>
#include <string_view>

namespace dm {

std::string ascii_lower(std::string_view text);

}  // namespace dm
