// Byte sizes as users write them on the command line: "50MB", "2GiB", "1048576", "512k".
// Decimal units (KB, MB, GB, TB) are powers of 1000 as in Go's humanize; binary units (KiB,
// MiB, GiB, TiB) and the bare letters (k, m, g, t) are powers of 1024. Case-insensitive.
#pragma once

#include <cstdint>
#include <string>

namespace dm::fusefs {

// Throws dm::Error(InvalidArgument) naming `what` (the flag) and the text.
uint64_t parse_byte_size(const std::string& text, const std::string& what);

}  // namespace dm::fusefs
