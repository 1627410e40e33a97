// FileSync: brings local files to bundle entries' content in place, leaf by leaf (the restore).
//
// The local file's leaf keys come from the key the restore record vouches for (via that old
// content's root blob) or, when nothing vouches, from hashing the file; only leaves whose key
// differs are fetched (verified) and written at their offset, and the file is cut to size.
// Missing files are created (owner and mode set at once), preallocated and written whole.
// Nothing is fsynced here: the caller syncs once, and must have made the directory unstartable
// first (pg_control removed), since a file is patched in place. A file with other hard links
// is replaced rather than patched. Errors are dm::Error naming the file or leaf. Files run
// `concurrency` at a time, their leaves on one shared pool of the same width.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/cafs/reader.h"
#include "common/model/documents.h"
#include "common/util/progress.h"
#include "pgmover/run_as.h"

namespace dm::pgmover {

struct SyncTask {
  model::BundleEntry entry;  // wanted content; name already checked
  std::filesystem::path dest;
  std::string vouched_key;  // root key the record vouches the local file holds; empty: none
  unsigned mode = 0600;     // permission bits for a file that is created
};

struct SyncStats {
  uint64_t files_written = 0;  // created or patched
  uint64_t files_patched = 0;  // of those, existing files where only some leaves were written
  uint64_t files_kept = 0;     // already right
  uint64_t files_hashed = 0;   // local files read and hashed because nothing vouched for them
  uint64_t leaves_total = 0;   // leaves of the files written
  uint64_t leaves_fetched = 0;
  uint64_t bytes_written = 0;
};

SyncStats sync_files(const std::vector<SyncTask>& tasks, cafs::Reader& reader, const OsUser& owner,
                     unsigned concurrency, Progress* progress = nullptr);

}  // namespace dm::pgmover
