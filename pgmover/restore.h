// Restore: brings a PostgreSQL data directory to exactly a bundle's content, in place.
//
// Files whose content already matches are kept (the local record decides, a hash when it is
// unsure); of a changed file only the leaves that differ are fetched and written in place, a
// missing one is written whole (FileSync); extra files and directories are removed;
// directories, modes and symlinks come from the layout manifest (a mode from the bundle sets
// permission bits only, never a set-ID or sticky bit). global/pg_control is removed
// first and written last, after one sync of everything else, so a restore that dies half-way
// leaves a directory PostgreSQL refuses to start, and running it again finishes the job. Refuses a directory in which a
// server runs, one that does not look like a data directory, and a bundle whose PostgreSQL major does not match the
// binaries (unless `upgrade` is set and the bundle is older: then see upgrade.h).
// A bundle without a layout manifest (the Go pg sidecar's: the data directory uploaded as is,
// with its pg_version file) is restored with go_sidecar_layout: its files, the folders that
// hold them and PostgreSQL's empty folders, without its postmaster.pid/opts.
#pragma once

#include <filesystem>
#include <string>

#include "common/model/catalog.h"
#include "common/store/store.h"
#include "pgmover/pg_ctl.h"
#include "pgmover/run_as.h"

namespace dm::pgmover {

struct RestoreOptions {
  std::string repo;
  std::string bundle_id;  // or
  std::string label;      // or neither: the latest bundle
  std::filesystem::path pgdata;
  OsUser owner;         // files are given to this user when we are root
  PgBinaries binaries;  // for the version check
  unsigned concurrency = 8;
  bool verify = true;
  bool show_progress = true;
  bool upgrade = false;              // a bundle of an older major: pg_upgrade it (upgrade.h)
  std::filesystem::path old_bindir;  // its binaries; empty: /usr/lib/postgresql/<major>/bin
};

struct RestoreResult {
  std::string bundle_id;
  uint64_t files_written = 0;  // created or patched (pg_control included)
  uint64_t files_patched = 0;  // of those, existing files of which only differing leaves were written
  uint64_t files_kept = 0;     // already right: not rewritten
  uint64_t files_hashed = 0;   // of the kept ones, those the record could not vouch for
  uint64_t removed = 0;        // extra files, directories and symlinks removed
  uint64_t bytes_written = 0;
  uint64_t leaves_total = 0;    // leaves of the files written
  uint64_t leaves_fetched = 0;  // of those, fetched and written
  int upgraded_from = 0;        // the bundle's major when pg_upgrade ran, else 0
};

RestoreResult restore(model::Catalog& catalog, store::Store& blobs, const RestoreOptions& options);

}  // namespace dm::pgmover
