// A local folder against a bundle: which files the bundle adds, which it lacks, which differ
// (`bundle diff`), and making the folder equal to the bundle by fetching only those
// (`bundle update`).
//
// A local file is compared by content: its datamon root key, computed with the bundle's leaf
// size, against the entry's hash. Nothing is read from the store to compare. Top-level .datamon, .conflicts and
// .checkpoints are not bundle content and are left alone (scan_tree's rule). Errors name the file or entry.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/model/documents.h"
#include "common/store/store.h"
#include "common/transfer/download.h"

namespace dm::transfer {

struct EntryDiff {
  enum class Type { Add, Del, Dif };  // Go's DiffEntryType: printed "A", "D", "U"
  Type type;
  std::string name;
  model::BundleEntry existing;    // the local file (zero when Add)
  model::BundleEntry additional;  // the bundle's entry (zero when Del)
};

// Sorted by name. Entries of the bundle whose names are unsafe are refused (InvalidArgument).
std::vector<EntryDiff> diff_folder(const std::filesystem::path& folder, const model::BundleDescriptor& bundle,
                                   const std::vector<model::BundleEntry>& entries);

struct UpdateResult {
  uint64_t fetched = 0;  // files written from the store
  uint64_t kept = 0;     // files already equal
  uint64_t removed = 0;  // local files the bundle does not have
};

// Makes `folder` hold exactly the bundle's files: files that differ or are missing are
// downloaded (each written whole and renamed into place, as download_bundle does), equal files
// are kept untouched, and files the bundle lacks are removed. The folder's .datamon metadata
// copies are replaced by the bundle's.
UpdateResult update_folder(const std::filesystem::path& folder, const model::BundleDescriptor& bundle,
                           const std::vector<model::BundleEntry>& entries, store::Store& blobs,
                           const DownloadOptions& options);

}  // namespace dm::transfer
