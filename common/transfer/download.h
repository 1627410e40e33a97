// Download: a bundle's entries → files under a destination folder.
//
// Every entry name is checked first (decision 5): one that escapes the destination stops the
// download before anything is written. Each file is written to an unnamed file in its folder
// (O_TMPFILE), filled with verified leaves fetched in parallel and linked into place, so no
// file is ever torn and a killed download leaves no litter among the user's files; where that
// cannot be (a name to replace, a file system without O_TMPFILE) the file is a temporary in
// <destination>/.datamon/tmp renamed into place (the next download clears that folder). Durability costs one barrier,
// not one per file: each file's write-back starts when it is written, and one syncfs of the destination's file system
// precedes the removal of the incomplete marker (a power loss before it can leave files short,
// and the marker, durable from the start, says so). A file's leaves are written past the page
// cache (write_bulk_at): a restored data directory neither fills the page cache (charged to a
// pod's memory limit) nor leaves its write-back to the barrier. The destination is untrusted: its
// folders are opened component by component without following symlinks, and a `.datamon` that
// is not a real folder is refused. A file gets its entry's permission bits (0644 when it has
// none), never a set-user-ID, set-group-ID or sticky bit from the bundle. Until the download
// ends, .datamon/incomplete says so.
// Legacy (version 0) bundles use the truncated-leaf stride (decision 1). Shared by `bundle
// download` and the pg restore, which decides per file whether a fetch is needed.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/model/documents.h"
#include "common/store/store.h"

namespace dm::transfer {

struct DownloadOptions {
  unsigned concurrency = 8;
  bool verify = true;
  std::string name_filter;            // RE2 (Go regexp) pattern searched in entry names; empty: all
  bool write_metadata_copies = true;  // .datamon/{id}.yaml and index copies, as Go does
  // The bundle's index files as read (Catalog::get_entries), copied byte for byte.
  std::vector<std::string> index_documents;
  bool show_progress = true;
  // Asked before each file; false keeps the local file as it is (the pg delta restore).
  std::function<bool(const model::BundleEntry&, const std::filesystem::path& dest)> needs_fetch;
  // Called after a file was written and renamed into place (durable once the download ends).
  std::function<void(const model::BundleEntry&, const std::filesystem::path& dest)> on_written;
};

struct DownloadResult {
  uint64_t files = 0;    // files written
  uint64_t skipped = 0;  // files needs_fetch kept
  uint64_t bytes = 0;    // bytes written
};

// In <destination>/.datamon from the start of a download until its end: a failed or killed
// download is visible as such (and the next download into that folder warns about it).
inline constexpr const char* kIncompleteMarker = "incomplete";

// The longest name component a file system takes (NAME_MAX).
inline constexpr size_t kMaxNameComponent = 255;

// The entry names, checked: returns the clean relative names in entry order or throws
// InvalidArgument naming the first bad one (decision 5, or a component over kMaxNameComponent
// bytes), or Corrupt naming two entries that are the same file.
std::vector<std::string> checked_entry_names(const std::vector<model::BundleEntry>& entries,
                                             const std::string& bundle_id);

DownloadResult download_bundle(const model::BundleDescriptor& bundle, const std::vector<model::BundleEntry>& entries,
                               store::Store& blobs, const std::filesystem::path& destination,
                               const DownloadOptions& options);

}  // namespace dm::transfer
