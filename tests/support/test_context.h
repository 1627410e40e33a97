// TestContext: a file:// datamon context in a scratch folder (context "dev", repo "repo"), with
// its stores open, for tests that drive the core directly rather than through the CLI; bundles
// are made with the core, or object by object for the Go-layout and legacy cases. The folder
// goes when the object dies. Not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "common/config/context.h"
#include "common/model/documents.h"
#include "support/test_support.h"

namespace dm::test {

class TestContext {
 public:
  TestContext();
  const std::filesystem::path& root() const { return dir_.path(); }
  std::filesystem::path blob_dir() const { return dir_ / "dev-blob"; }
  config::ContextStores& stores() { return stores_; }
  std::vector<std::string> env() const;  // DATAMON_GLOBAL_CONFIG / DATAMON_CONTEXT for the CLI

  // Uploads the folder with the core; returns the bundle id.
  std::string upload(const std::filesystem::path& folder);
  // Writes a bundle object by object: blobs for each (name, content), index files holding
  // `per_file` entries each in the given order, then bundle.yaml. Names are used verbatim.
  std::string write_bundle_by_hand(const std::vector<std::pair<std::string, std::string>>& files, uint32_t leaf_size,
                                   uint64_t version, size_t per_file);

 private:
  TempDir dir_;
  config::ContextStores stores_;
};

}  // namespace dm::test
