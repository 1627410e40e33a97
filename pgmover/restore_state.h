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

// Nanoseconds of the real-time clock (the clock file times come from).
int64_t now_ns();
// True when `facts`, taken by a stat that started at `stat_begin_ns`, may be recorded: its
// ctime is far enough in the past that any later write gets a different one.
bool settled(const FileFacts& facts, int64_t stat_begin_ns);
// Sleeps (at most a few clock ticks) until files whose newest ctime is `newest_ctime_ns` are
// settled for a stat that starts after the return.
void wait_until_settled(int64_t newest_ctime_ns);

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
