// RestoreState: pgmover's local record of what a data directory holds, kept in
// PGDATA/.datamon-pg/state.json (0600, excluded from commits).
//
// It names the bundle the directory was last restored from or committed as (the next
// commit's parent) and, per file, the stat facts and the root key seen then. A file whose
// device, inode, size, mtime and ctime are all unchanged still has that key: any write,
// rename or chmod changes ctime, which no program can set back. Anything else is hashed.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace dm::pgmover {

struct FileFacts {
  uint64_t dev = 0, ino = 0, size = 0;
  int64_t mtime_ns = 0, ctime_ns = 0;
  std::string key;  // root key, 128 hex
  friend bool operator==(const FileFacts&, const FileFacts&) = default;
};

// The facts of `st` with `key`.
FileFacts facts_of(const struct stat& st, const std::string& key);
// True when `st` is the same file, unchanged, as `recorded`.
bool unchanged(const struct stat& st, const FileFacts& recorded);

struct RestoreState {
  std::string repo;
  std::string bundle;
  std::map<std::string, FileFacts> files;  // by entry name
};

std::filesystem::path state_path(const std::filesystem::path& pgdata);
// nullopt when there is none or it does not parse (then nothing is trusted: files get hashed).
std::optional<RestoreState> load_state(const std::filesystem::path& pgdata);
void save_state(const std::filesystem::path& pgdata, const RestoreState& state);

}  // namespace dm::pgmover
