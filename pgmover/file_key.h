// The datamon root key of a local file, computed without any store: how a delta restore
// decides, when its record is unsure, whether a local file already holds an entry's content.
// Throws dm::Error (Io) naming the file. Thread-safe.
#pragma once

#include <filesystem>

#include "common/cafs/key.h"

namespace dm::pgmover {

cafs::Key local_file_key(const std::filesystem::path& path, uint32_t leaf_size);

}  // namespace dm::pgmover
