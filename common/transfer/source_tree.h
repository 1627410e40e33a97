// The files of a local folder that an upload turns into bundle entries.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace dm::transfer {

struct SourceFile {
  std::string name;            // entry name: '/'-separated, relative, no leading '/'
  std::filesystem::path path;  // where the bytes are read from
  uint32_t mode = 0;           // permission bits recorded in the index (decision 9)
  uint64_t size = 0;           // size at scan time (for progress)
};

// Regular files under `root`, sorted by name. Top-level .datamon, .conflicts and .checkpoints
// are skipped (as Go does). A symlink to a file is followed; a symlink to a folder, a dangling
// symlink, a FIFO, socket or device is an InvalidArgument error naming the path (decision 12).
// An unreadable folder or file is an error naming it.
std::vector<SourceFile> scan_tree(const std::filesystem::path& root);

}  // namespace dm::transfer
