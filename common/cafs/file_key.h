// The datamon root key of a local file, computed without any store (the Writer's splitting and
// hashing, minus the writes): how the pg delta restore decides, when its record is unsure,
// whether a local file already holds an entry's content. Throws dm::Error (Io) naming the file.
// Thread-safe.
#pragma once

#include <filesystem>

#include "common/cafs/key.h"

namespace dm::cafs {

Key file_root_key(const std::filesystem::path& path, uint32_t leaf_size);

}  // namespace dm::cafs
