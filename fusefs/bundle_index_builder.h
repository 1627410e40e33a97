// BundleIndexBuilder: builds a mount's BundleIndex from a bundle's index files, one file at a
// time, so that start-up never holds more than the growing table and the file being added.
//
// add() copies what the table needs and keeps nothing of the entries; finish() sorts each
// directory's children once. Every error is a dm::Error naming the bundle, the entry and the
// index file it came from (unsafe name, malformed hash, a duplicate, a name that is both a
// file and a directory, an empty file whose key is not empty content's). Not thread-safe: one caller adds the files in
// order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/cafs/key.h"
#include "common/model/documents.h"
#include "common/model/timestamp.h"
#include "fusefs/bundle_index.h"

namespace dm::fusefs {

class BundleIndexBuilder {
 public:
  // `expected_entries` only sizes the table up front (0: unknown); `default_time` stands in for
  // entries without a timestamp (all Go uploads): the bundle's time.
  BundleIndexBuilder(std::string bundle_id, model::Timestamp default_time, size_t expected_entries = 0);

  // From now on an entry of size 0 must have this root key (empty content's for the bundle's
  // leaf size): the kernel never asks for the bytes of an empty file, so the mount could not
  // check it later. Without a call, sizes of 0 are not checked (legacy bundles).
  void expect_empty_root(const cafs::Key& key) { empty_root_ = key; }

  // `source` names where the entries came from in errors (an index file's URL; may be empty).
  void add(const std::vector<model::BundleEntry>& entries, const std::string& source);
  BundleIndex finish() &&;

 private:
  uint32_t directory(uint32_t parent, std::string_view name);
  // The index file that added `row` (directories: the file that first implied them).
  const std::string& source_of(uint32_t row) const;
  std::string where(const std::string& source) const;

  std::string bundle_id_;
  model::Timestamp default_time_;
  BundleIndex index_;
  // (parent row, 4 bytes) + name -> row of that directory; only while building.
  std::unordered_map<std::string, uint32_t> directories_;
  std::string probe_;  // reused lookup key, so a hit allocates nothing
  // The last file's directory: index files are usually sorted by name, so it is a cheap hit.
  std::string last_dir_path_;
  uint32_t last_dir_row_ = 0;
  std::vector<std::pair<uint32_t, std::string>> sources_;  // first row added by each source
  std::optional<cafs::Key> empty_root_;
};

}  // namespace dm::fusefs
