// What of a PostgreSQL data directory a commit leaves out, and what makes it refuse.
//
// PostgreSQL's own list (basebackup.c) adapted to an offline copy after a clean shutdown:
// runtime-only directory contents, temp files and relations, pid/opts files are dropped;
// pg_wal and unlogged relations are kept. Pure functions on '/'-separated relative names.
#pragma once

#include <string>
#include <string_view>

namespace dm::pgmover {

// pgmover's own folder inside PGDATA (restore record, server log); never part of a bundle's data.
inline constexpr std::string_view kOwnDir = ".datamon-pg";

// True when the file or directory `rel` (relative to PGDATA) is left out of a commit. For an
// excluded-contents directory (pg_stat_tmp, ...), the directory itself is kept and only what
// is inside it is excluded.
bool is_excluded(std::string_view rel);

// Files whose presence at the top of PGDATA means the cluster is not a plain, cleanly stopped
// primary (backup_label, recovery.signal, ...): a commit refuses them. Empty when none.
std::string refused_marker(std::string_view rel);

// True for a 24-hex-digit WAL segment file name (e.g. 000000010000000000000003).
bool is_wal_segment_name(std::string_view name);

}  // namespace dm::pgmover
