// Restore: brings a PostgreSQL data directory to exactly a bundle's content, in place.
//
// Files whose content already matches are kept (the local record decides, a hash when it is
// unsure); changed and missing ones are fetched through transfer::download_bundle; extra files
// and directories are removed; directories, modes and symlinks come from the layout manifest.
// global/pg_control is removed first and written last, after everything else is synced, so
// a restore that dies half-way leaves a directory PostgreSQL refuses to start, and running it
// again finishes the job. Refuses a directory in which a server runs, one that does not look
// like a data directory, and a bundle whose PostgreSQL major does not match the binaries.
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
  OsUser owner;           // files are given to this user when we are root
  PgBinaries binaries;    // for the version check
  unsigned concurrency = 8;
  bool verify = true;
  bool show_progress = true;
};

struct RestoreResult {
  std::string bundle_id;
  uint64_t files_written = 0;  // fetched and written (pg_control included)
  uint64_t files_kept = 0;     // already right: not rewritten
  uint64_t files_hashed = 0;   // of the kept ones, those the record could not vouch for
  uint64_t removed = 0;        // extra files, directories and symlinks removed
  uint64_t bytes_written = 0;
};

RestoreResult restore(model::Catalog& catalog, store::Store& blobs, const RestoreOptions& options);

}  // namespace dm::pgmover
