// Commit: a cleanly shut down PostgreSQL data directory → a new datamon bundle.
//
// Refuses a running or uncleanly stopped cluster. Uploads through transfer::upload_bundle the
// files DataDir selects (exclusions, pg_wal trimmed) plus the layout manifest. A file the local
// record vouches for (same stat facts, same key as the parent's entry: the parent is the bundle
// the directory was restored from or last committed as) is taken by its key, neither read nor
// hashed; the others are hashed, and leaves of their parent entries are passed as known, so
// they cost no request at all. Records the parent, then updates the local record so
// that the next commit has this bundle as parent. The result is a plain datamon bundle, with
// the Go pg sidecar's pg_version file (PgCtl::ensure_go_pg_version) among its files.
#pragma once

#include <string>

#include "common/model/catalog.h"
#include "common/store/store.h"
#include "common/transfer/upload.h"
#include "pgmover/pg_ctl.h"

namespace dm::pgmover {

struct CommitOptions {
  std::string repo;
  std::string message;
  std::string label;
  model::Contributor contributor;
  bool keep_all_wal = false;
  unsigned concurrency = 8;
  bool show_progress = true;
};

struct CommitResult {
  transfer::UploadResult upload;
  std::string parent;          // empty: none
  uint64_t known_leaves = 0;   // leaves of the parent, sent without any request
  uint64_t trusted_files = 0;  // taken by the record's key: not read, not hashed
  uint64_t excluded = 0;       // files and folders left out by PostgreSQL's list
  uint64_t omitted_wal = 0;    // recycled WAL segments left out
  uint64_t omitted_wal_bytes = 0;
};

CommitResult commit(PgCtl& pg, model::Catalog& catalog, store::Store& blobs, const CommitOptions& options);

}  // namespace dm::pgmover
