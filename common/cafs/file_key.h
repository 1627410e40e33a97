// The datamon leaf keys and root key of a local file, computed without any store (the Writer's
// splitting and hashing, minus the writes): how the pg delta restore decides, when its record is
// unsure, which leaves a local file already holds. Throws dm::Error (Io) naming the file.
// Thread-safe.
#pragma once

#include <filesystem>
#include <vector>

#include "common/cafs/key.h"
#include "common/util/thread_pool.h"

namespace dm::cafs {

// Leaves are hashed on `pool` when one is given, else one after another on the caller's thread.
std::vector<Key> file_leaf_keys(const std::filesystem::path& path, uint32_t leaf_size, ThreadPool* pool = nullptr);
Key file_root_key(const std::filesystem::path& path, uint32_t leaf_size);

}  // namespace dm::cafs
