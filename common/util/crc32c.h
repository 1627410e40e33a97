// CRC32C (Castagnoli), as GCS reports and checks it. No Debian package provides it.
#pragma once

#include <cstdint>
#include <string_view>

namespace dm {

uint32_t crc32c(std::string_view data, uint32_t crc = 0);

}  // namespace dm
