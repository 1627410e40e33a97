// Squashing a repo's history, as Go's `repo squash` (core.RepoSquash): every bundle but the
// latest N goes, except those a label keeps when asked to.
//
// Only metadata goes, as in `repo delete`: blobs are shared by content across bundles and repos,
// so unreferenced ones are left to `purge`. The order keeps every kept bundle complete and
// readable at each step, so an interrupted squash is finished by running it again: labels on the
// dropped bundles first (no label then points at a missing bundle), then each dropped bundle,
// oldest first, by its bundle.yaml (its commit point: it leaves listings whole) then its index
// files; last, Go's sweep of every label left pointing at no bundle.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/model/catalog.h"

namespace dm::model {

struct SquashOptions {
  bool retain_tags = false;         // keep every labelled bundle
  bool retain_semver_tags = false;  // keep the bundles whose label is a semver (Go's ParseTolerant)
  int retain_n_latest = 1;          // keep the N greatest bundle ids; 0 means 1, as in Go
};

// The ids of the bundles dropped, oldest first. NotFound naming the repo when it does not exist;
// InvalidArgument for a negative retain_n_latest.
std::vector<std::string> squash_repo(Catalog& catalog, const std::string& repo, const SquashOptions& options);

// Whether github.com/blang/semver v3.5.1's ParseTolerant accepts `name`: surrounding white space
// and one leading "v" dropped, a missing minor or patch read as 0, then strict semver 2.0.0
// (numbers without leading zeros that fit 64 bits, dot-separated pre-release and build parts).
bool is_tolerant_semver(std::string_view name);

}  // namespace dm::model
