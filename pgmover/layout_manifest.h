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
LayoutManifest parse_layout(const std::string& json, const std::string& what);

}  // namespace dm::pgmover
