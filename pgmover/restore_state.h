// RestoreState: pgmover's local record of what a data directory holds, kept in
// PGDATA/.datamon-pg/state.json (0600, excluded from commits).
//
// It names the bundle the directory was last restored from or committed as (the next
// commit's parent) and, per file, the stat facts and the root key seen then. A file whose
// device, inode, size, mtime and ctime are all unchanged still has that key: any write,
// rename or chmod changes ctime, which no program can set back. Anything else is hashed.
// A file is recorded only once its ctime is older than the moment its stat was taken by more
// than a clock tick (racy-git rule): a write in the same tick as the recorded ctime would
// otherwise go unseen. Records of an older format vouch for nothing.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "pgmover/run_as.h"

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

// The facts of the file at `path` now, with `key`; an error naming the file when it cannot be
// stat'ed.
FileFacts stat_facts(const std::filesystem::path& path, const std::string& key);

// The stat facts of a set of files (keys empty), and the moment the stats began.
struct StatSnapshot {
  int64_t begin_ns = 0;
  std::map<std::string, FileFacts> files;  // by entry name
};
// Stats every file of `paths` (entry name → path).
StatSnapshot take_snapshot(const std::map<std::string, std::filesystem::path>& paths);
// What a record may say of `name` with `key`: its facts in `snapshot`, when they were settled
// then (see above) and the file at `path` is unchanged since; else nullopt. What a commit records.
std::optional<FileFacts> recordable(const StatSnapshot& snapshot, const std::string& name,
                                    const std::filesystem::path& path, const std::string& key);
// The record of files just written (entry name → root key, paths below `pgdata`): waits (a few
// clock ticks at most) until they are settled, then takes their facts. What a restore records.
std::map<std::string, FileFacts> settled_record(const std::filesystem::path& pgdata,
                                                const std::map<std::string, std::string>& keys);

struct RestoreState {
  std::string repo;
  std::string bundle;
  std::map<std::string, FileFacts> files;  // by entry name
};

std::filesystem::path state_path(const std::filesystem::path& pgdata);
// nullopt when there is none or it does not parse (then nothing is trusted: files get hashed).
std::optional<RestoreState> load_state(const std::filesystem::path& pgdata);
// Writes the record (atomically, 0600) and gives it and pgmover's folder to `owner`.
void save_state(const std::filesystem::path& pgdata, const RestoreState& state, const OsUser& owner);

}  // namespace dm::pgmover
