// The layout manifest: what a bundle's file index cannot say about a PostgreSQL data directory
// (decision 13): every directory with its exact mode (empty ones included), symlinks, the
// PostgreSQL major version and cluster facts, and the parent bundle.
//
// It travels inside the bundle as the regular file kLayoutEntryName (JSON), so the bundle stays
// a plain datamon bundle that the Go CLI can download. Parsing is strict: a manifest that does
// not parse, or names a directory or symlink path that is absolute, empty (PGDATA itself aside,
// for a directory), or has an empty, "." or ".." component or a NUL, is a Corrupt error naming
// the bundle. Symlink targets are data (PostgreSQL points them anywhere); the restore never
// follows them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dm::pgmover {

inline constexpr const char* kLayoutEntryName = ".datamon-pg/layout.json";
// The Go pg sidecar's version file at the top of PGDATA: `pg_config --version`'s number
// ("15.18"); it refuses a bundle whose major (before the first '.') is not its own. `pg init`
// and commits write it into PGDATA (PgCtl::ensure_go_pg_version); a bundle without a layout manifest but with
// PG_VERSION and global/pg_control is restored as the Go sidecar made it (go_sidecar_layout).
inline constexpr const char* kGoVersionFile = "pg_version";
inline constexpr int kLayoutFormat = 1;

struct DirectoryEntry {
  std::string path;   // relative, '/'-separated; "" is PGDATA itself
  uint32_t mode = 0;  // permission bits
  friend bool operator==(const DirectoryEntry&, const DirectoryEntry&) = default;
};

struct SymlinkEntry {
  std::string path;
  std::string target;
  friend bool operator==(const SymlinkEntry&, const SymlinkEntry&) = default;
};

struct LayoutManifest {
  int format = kLayoutFormat;
  std::string pg_version;                      // content of PG_VERSION, trimmed (e.g. "15")
  std::string parent;                          // parent bundle id, empty for none
  std::map<std::string, std::string> control;  // selected pg_controldata facts
  std::vector<DirectoryEntry> directories;     // sorted by path
  std::vector<SymlinkEntry> symlinks;          // sorted by path
  std::vector<std::string> omitted_wal;        // WAL segments left out (recycled, not needed)
  friend bool operator==(const LayoutManifest&, const LayoutManifest&) = default;
};

std::string to_json(const LayoutManifest& manifest);

// The layout of a bundle the Go pg sidecar made (a data directory uploaded as is, empty
// directories lost): every folder holding one of `files`, and the empty folders PostgreSQL
// `major` needs (the Go image restores them from its pgdirs.tar), all 0700, no symlinks.
LayoutManifest go_sidecar_layout(const std::vector<std::string>& files, int major);
LayoutManifest parse_layout(const std::string& json, const std::string& what);

}  // namespace dm::pgmover
