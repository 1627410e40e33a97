// Catalog: the repos, bundles and labels of one context, read and written on its metadata and
// vmetadata stores with datamon's rules (format spec §2-§3, decisions 2, 3, 8, 11).
//
// Writes follow the commit order: index files (NoOverwrite), then bundle.yaml (NoOverwrite,
// the commit point), then labels (Overwrite). "Latest" is the greatest bundle id that has a
// bundle.yaml. Errors name the repo, bundle or label. Thread-safe (stateless over the stores).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/model/documents.h"
#include "common/store/store.h"

namespace dm::model {

constexpr size_t kEntriesPerIndexFile = 1000;
// The most a document (descriptor, index file, label) may weigh: an index file of 1000 entries
// is a few hundred KiB; anything near this bound is hostile, refused before it is read.
constexpr uint64_t kMaxDocumentBytes = uint64_t{64} << 20;

class Catalog {
 public:
  Catalog(store::Store& metadata, store::Store& vmetadata) : metadata_(metadata), vmetadata_(vmetadata) {}

  store::Store& metadata() { return metadata_; }
  store::Store& vmetadata() { return vmetadata_; }

  // Repos
  void create_repo(const RepoDescriptor& repo);  // AlreadyExists: "repo 'x' already exists"
  std::vector<RepoDescriptor> list_repos();
  RepoDescriptor get_repo(const std::string& repo);  // NotFound naming the repo
  void require_repo(const std::string& repo);

  // Bundles
  std::vector<BundleDescriptor> list_bundles(const std::string& repo);
  std::string latest_bundle(const std::string& repo);  // NotFound if the repo has none
  BundleDescriptor get_bundle(const std::string& repo, const std::string& bundle_id);
  // Index files 0..count-1, fetched `concurrency` at a time, concatenated in order; `count`
  // sizes nothing. With `documents`, the index files' bytes as read are appended to it.
  std::vector<BundleEntry> get_entries(const std::string& repo, const BundleDescriptor& bundle,
                                       unsigned concurrency = 8, std::vector<std::string>* documents = nullptr);
  // get_entries without the whole index in memory: files are fetched and parsed `concurrency`
  // at a time, and `consume` gets each file's entries in file order, one call at a time; a
  // file's text and entries are released once consumed. The first error (fetch, parse, or
  // thrown by `consume`) stops the rest and is rethrown.
  using IndexFileConsumer =
      std::function<void(size_t file, const std::string& object_url, std::vector<BundleEntry> entries)>;
  void for_each_index_file(const std::string& repo, const BundleDescriptor& bundle, unsigned concurrency,
                           const IndexFileConsumer& consume);
  // Sorts `entries` by name, writes them 1000 per index file, then the descriptor (its count
  // is set here). The descriptor's id must be set.
  void write_bundle(const std::string& repo, BundleDescriptor& bundle, std::vector<BundleEntry> entries);
  // The bundle id that --bundle / --label / neither (latest) select.
  std::string resolve_bundle(const std::string& repo, const std::string& bundle_id, const std::string& label);

  // Labels
  void set_label(const std::string& repo, const LabelDescriptor& label);  // checks repo and bundle
  LabelDescriptor get_label(const std::string& repo, const std::string& label);
  std::vector<LabelDescriptor> list_labels(const std::string& repo, const std::string& prefix = "");
  // Every version of the label's label.yaml on a vmetadata store that keeps versions, oldest
  // first (`label get --with-versions`, Go's DownloadDescriptorVersions): checks the repo, then
  // NotFound naming the label when it has no current version, then InvalidArgument when the
  // store keeps no versions at all (a local folder). As in Go, a bucket with versioning off
  // still lists the current version.
  std::vector<LabelDescriptor> get_label_versions(const std::string& repo, const std::string& label);
  // list_labels with each label expanded to its versions, oldest first (`label list
  // --with-versions`): InvalidArgument naming the store before anything else when its bucket
  // does not enable versioning, as Go's ListLabels.
  std::vector<LabelDescriptor> list_label_versions(const std::string& repo, const std::string& prefix = "");

 private:
  // The labels under `prefix` in the repo, in name order: {object name, label name}.
  std::vector<std::pair<std::string, std::string>> label_objects(const std::string& repo, const std::string& prefix);
  // Every version of one label object, parsed and checked against the label's name.
  void append_label_versions(const std::string& object, const std::string& label, std::vector<LabelDescriptor>& out);

  store::Store& metadata_;
  store::Store& vmetadata_;
};

}  // namespace dm::model
