// Renaming a repo: Go's `repo rename` (pkg/core/rename.go) made crash-safe.
//
// Metadata only is copied (blobs are shared by content across the context and stay where they
// are). The order is chosen so that an interruption never loses the old repo: every bundle
// object and label of OLD is copied under NEW first, NEW's repo.yaml (the new repo's commit
// point: before it NEW does not exist) is written after them, and OLD is deleted last, the way
// `repo delete` deletes (model::delete_repo). An interrupted rename leaves OLD whole; if it
// stopped before NEW's repo.yaml, running it again finishes it (the leftover copies under NEW
// are overwritten); if it stopped after, both repos exist and `repo delete` of OLD finishes it.
// Only the current version of each label is copied (Go copies no label history either).
#pragma once

#include <string>

#include "common/model/catalog.h"

namespace dm::model {

// InvalidArgument when `new_name` is no valid repo name, NotFound naming `old_name` when it
// does not exist, AlreadyExists naming `new_name` when that repo exists (also when both names
// are the same).
void rename_repo(Catalog& catalog, const std::string& old_name, const std::string& new_name);

}  // namespace dm::model
