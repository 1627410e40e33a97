// Deleting a repo: its labels, bundles and repo.yaml, as Go's `repo delete` does.
//
// Only metadata goes: blobs are shared by every bundle of the context (deduplicated by
// content), so no blob is ever deleted here; unreferenced blobs are what `purge` is for.
// The order keeps every intermediate state readable: labels first (no label then points at a
// missing bundle), then each bundle's bundle.yaml (its commit point: the bundle disappears
// whole), then its index files, and repo.yaml last, so an interrupted delete can be re-run.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "common/model/catalog.h"

namespace dm::model {

// NotFound naming the repo when it does not exist.
void delete_repo(Catalog& catalog, const std::string& repo);

// Go's `repo delete files` (core.DeleteEntriesFromRepo): removes the entries whose name is
// exactly one of `names` from every bundle of the repo, rewriting (Overwrite) each index file
// that held one; bundle.yaml is left as is (its count is the number of index files, which does
// not change; an index file may become empty). Each rewrite replaces one whole object, so a
// reader sees a file either before or after it; an interrupted run is finished by running it
// again. Blobs stay for `purge`. Returns the number of entries removed over all bundles.
// NotFound naming the repo when it does not exist.
uint64_t delete_entries(Catalog& catalog, const std::string& repo, const std::set<std::string>& names);

}  // namespace dm::model
