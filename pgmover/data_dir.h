// DataDir: what a commit takes from a stopped PostgreSQL data directory.
//
// One walk (no symlink is followed) gives the regular files to upload, with PostgreSQL's
// exclusions applied and pg_wal trimmed to the segments a clean shutdown needs, and the layout
// manifest (every directory with its mode, symlinks, version, control facts). Special files,
// tablespaces and refused markers (backup_label, recovery.signal, ...) are errors naming the
// path. Read-only on the directory; not thread-safe.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/transfer/source_tree.h"
#include "pgmover/layout_manifest.h"

namespace dm::pgmover {

struct DataDirScan {
  std::vector<transfer::SourceFile> files;  // sorted by name, manifest not included
  LayoutManifest layout;                    // parent left empty
  uint64_t excluded_files = 0;
  uint64_t omitted_wal_bytes = 0;
};

// The WAL segment names a cleanly shut down cluster needs to start: those holding the latest
// checkpoint and its REDO point, from pg_controldata facts. Empty when they cannot be derived
// (then every segment is kept).
std::vector<std::string> needed_wal_segments(const std::map<std::string, std::string>& control);

// `control` is pg_controldata's output for `pgdata` (state "shut down" already checked).
// With keep_all_wal, no segment of pg_wal is left out.
DataDirScan scan_data_dir(const std::filesystem::path& pgdata, const std::map<std::string, std::string>& control,
                          bool keep_all_wal);

}  // namespace dm::pgmover
