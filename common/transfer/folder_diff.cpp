#include "common/transfer/folder_diff.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/cafs/file_key.h"
#include "common/transfer/source_tree.h"
#include "common/util/error.h"

namespace dm::transfer {

namespace fs = std::filesystem;

namespace {

// The local file as a bundle entry; its hash is shown by `bundle diff` even when the sizes
// already tell that it differs.
model::BundleEntry local_entry(const SourceFile& f, uint32_t leaf_size) {
  model::BundleEntry e;
  e.name = f.name;
  e.mode = f.mode;
  e.size = f.size;
  e.hash = cafs::file_root_key(f.path, leaf_size).hex();
  return e;
}

}  // namespace

std::vector<EntryDiff> diff_folder(const fs::path& folder, const model::BundleDescriptor& bundle,
                                   const std::vector<model::BundleEntry>& entries) {
  const auto names = checked_entry_names(entries, bundle.id);
  std::map<std::string, const model::BundleEntry*> remote;
  for (size_t i = 0; i < entries.size(); ++i) remote[names[i]] = &entries[i];
  std::vector<EntryDiff> out;
  std::set<std::string> seen;
  std::error_code ec;
  if (fs::exists(folder, ec)) {
    for (const auto& f : scan_tree(folder)) {
      const auto it = remote.find(f.name);
      const model::BundleEntry* r = it == remote.end() ? nullptr : it->second;
      auto local = local_entry(f, bundle.leaf_size);
      if (r == nullptr) {
        out.push_back(EntryDiff{EntryDiff::Type::Del, f.name, std::move(local), {}});
        continue;
      }
      seen.insert(f.name);
      if (local.size != r->size || local.hash != r->hash) {
        out.push_back(EntryDiff{EntryDiff::Type::Dif, f.name, std::move(local), *r});
      }
    }
  }
  for (const auto& [name, r] : remote) {
    if (!seen.count(name)) out.push_back(EntryDiff{EntryDiff::Type::Add, name, {}, *r});
  }
  std::sort(out.begin(), out.end(), [](const EntryDiff& a, const EntryDiff& b) { return a.name < b.name; });
  return out;
}

UpdateResult update_folder(const fs::path& folder, const model::BundleDescriptor& bundle,
                           const std::vector<model::BundleEntry>& entries, store::Store& blobs,
                           const DownloadOptions& options) {
  const auto diff = diff_folder(folder, bundle, entries);
  std::set<fs::path> fetch;  // destination paths, as download_bundle names them
  std::vector<std::string> remove;
  for (const auto& d : diff) {
    if (d.type == EntryDiff::Type::Del) {
      remove.push_back(d.name);
    } else {
      fetch.insert(folder / d.name);
    }
  }
  UpdateResult result;
  // Files first, then removals: an interrupted update leaves extra files, never missing ones.
  auto download = options;
  download.needs_fetch = [&fetch](const model::BundleEntry&, const fs::path& dest) { return fetch.count(dest) > 0; };
  const auto written = download_bundle(bundle, entries, blobs, folder, download);
  result.fetched = written.files;
  result.kept = written.skipped;
  for (const auto& name : remove) {
    std::error_code ec;
    if (!fs::remove(folder / name, ec) && ec) throw_errno(ec.value(), "cannot remove", (folder / name).string());
    ++result.removed;
  }
  return result;
}

}  // namespace dm::transfer
