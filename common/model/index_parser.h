// A streaming parser for bundle-files-N.yaml, on libyaml's event API.
//
// The file index is the one document read in bulk (a thousand files per 1000-entry index file,
// a million entries for a big bundle), so it skips the node tree that yaml-cpp builds for the
// small documents and is several times faster. Same rules as the other parsers: strict UTF-8,
// unknown keys ignored, quoted numbers refused, Corrupt errors naming the object.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/model/documents.h"

namespace dm::model {

std::vector<BundleEntry> parse_index_stream(std::string_view yaml, const std::string& what);

}  // namespace dm::model
