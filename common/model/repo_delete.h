// Deleting a repo: its labels, bundles and repo.yaml, as Go's `repo delete` does.
//
// Only metadata goes: blobs are shared by every bundle of the context (deduplicated by
// content), so no blob is ever deleted here; unreferenced blobs are what `purge` is for.
// The order keeps every intermediate state readable: labels first (no label then points at a
// missing bundle), then each bundle's bundle.yaml (its commit point: the bundle disappears
// whole), then its index files, and repo.yaml last, so an interrupted delete can be re-run.
#pragma once

#include <string>

#include "common/model/catalog.h"

namespace dm::model {

// NotFound naming the repo when it does not exist.
void delete_repo(Catalog& catalog, const std::string& repo);

}  // namespace dm::model
