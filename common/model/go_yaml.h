// Scalars written the way gopkg.in/yaml.v2 v2.4.0 writes them, so our documents match the Go
// datamon's byte for byte: plain when the text would read back as the same string, double
// quotes when it would read back as another type ("123", "true", "", dates), single quotes
// when plain is not allowed (leading space, ": ", "#"...), "|-" literal blocks for multi-line
// text, and folding of long lines at column 80 as yaml.v2 does. Parsing goes through yaml-cpp.
#pragma once

#include <string>
#include <string_view>

namespace dm::model {

// Appends `value` as the value of a block-mapping key. `column` is the output column after
// "key: " (used for folding); `indent` is the indentation of the mapping holding the key.
void append_yaml_string(std::string& out, std::string_view value, int column, int indent);

// True when yaml.v2 would resolve the plain text to a non-string (null, bool, number, date).
bool yaml_resolves_to_non_string(std::string_view text);

}  // namespace dm::model
