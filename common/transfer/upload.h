// Upload: files → blobs, then index files, then bundle.yaml, then the label (decision 11).
//
// The one upload path of the project: `bundle upload`, the pg commit and the fuse sidecar's
// outputs all come through here. Files are put `concurrency` at a time, their leaves on a
// shared pool of the same width; leaves the store has (or that `known` lists) are not sent.
// A file whose root key the caller vouches for (`known_roots`: its root blob and leaves are
// already stored, e.g. by a parent bundle) is neither read nor hashed and costs no request.
// Nothing a reader would pick exists until bundle.yaml is written, so a failure or crash at
// any earlier point leaves only orphan blobs and index files.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/cafs/writer.h"
#include "common/model/catalog.h"
#include "common/model/documents.h"
#include "common/transfer/source_tree.h"

namespace dm::transfer {

struct UploadOptions {
  std::string repo;
  std::string message;
  std::string label;  // empty: no label
  model::Contributor contributor;
  std::vector<std::string> parents;
  unsigned concurrency = 8;
  const cafs::KeySet* known = nullptr;  // leaves known to exist in the blob store
  // By file name: the root key of content that is stored whole (root blob and every leaf) and
  // that the file, of the scanned size, is known to hold. Such files are taken as they are.
  const std::map<std::string, cafs::Key>* known_roots = nullptr;
  bool show_progress = true;
};

struct UploadResult {
  std::string bundle_id;
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t leaves = 0;
  uint64_t leaves_stored = 0;
  uint64_t bytes_stored = 0;
  uint64_t files_known = 0;  // taken from known_roots: not read
};

UploadResult upload_bundle(const std::vector<SourceFile>& files, model::Catalog& catalog, store::Store& blobs,
                           const UploadOptions& options);

}  // namespace dm::transfer
