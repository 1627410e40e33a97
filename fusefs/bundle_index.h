// BundleIndex: the inode table of a mounted bundle, built once from its file index.
//
// Inode n is row n-1 of one flat table (the root directory is inode 1, FUSE_ROOT_ID); names
// live in one arena and each directory's children are a sorted run of one array, so a lookup
// is a binary search and an entry costs well under 200 bytes. Directories are implied by the
// entry names. Immutable after construction, so every method is safe from any thread.
// Built by BundleIndexBuilder (index file by index file, as a mount does) or from all the
// entries at once; either throws dm::Error naming the bundle and the entry at fault (unsafe
// name, bad hash, a name that is both a file and a directory, a duplicate).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/cafs/key.h"
#include "common/model/documents.h"
#include "common/model/timestamp.h"

namespace dm::fusefs {

using Inode = uint64_t;
constexpr Inode kRootInode = 1;

class BundleIndex {
 public:
  // `default_time` stands in for entries without a timestamp (all Go uploads): the bundle's time.
  BundleIndex(const std::vector<model::BundleEntry>& entries, const std::string& bundle_id,
              model::Timestamp default_time);
  BundleIndex(BundleIndex&&) = default;
  BundleIndex& operator=(BundleIndex&&) = default;

  size_t inode_count() const { return nodes_.size(); }
  size_t file_count() const { return keys_.size(); }
  uint64_t total_bytes() const { return total_bytes_; }
  bool valid(Inode ino) const { return ino >= 1 && ino <= nodes_.size(); }

  bool is_dir(Inode ino) const { return node(ino).is_dir; }
  bool executable(Inode ino) const { return node(ino).executable; }
  uint64_t size(Inode ino) const { return node(ino).size; }
  int64_t mtime_seconds(Inode ino) const { return node(ino).mtime_seconds; }
  uint32_t mtime_nanos(Inode ino) const { return node(ino).mtime_nanos; }
  Inode parent(Inode ino) const { return node(ino).parent + 1; }
  std::string_view name(Inode ino) const;
  // The entry's path inside the bundle, for messages.
  std::string path(Inode ino) const;
  // Directories: number of subdirectories (for st_nlink).
  uint32_t subdir_count(Inode ino) const { return node(ino).is_dir ? node(ino).subdirs : 0; }

  // Children of a directory in name order, as inode numbers minus one (row numbers).
  std::span<const uint32_t> children(Inode dir) const;
  std::optional<Inode> lookup(Inode dir, std::string_view name) const;
  // The position of `ino` among its parent's children (listing order); 0 for the root.
  size_t child_rank(Inode ino) const;

  // Files only.
  const cafs::Key& root_key(Inode ino) const { return keys_[node(ino).first]; }

  // Bytes the table uses (for the memory metric and the per-entry budget); capacity reserved
  // ahead and never touched is address space only, so it is not counted.
  size_t memory_bytes() const;

 private:
  friend class BundleIndexBuilder;
  BundleIndex() = default;

  struct Node {
    uint64_t size = 0;  // files
    int64_t mtime_seconds = 0;
    uint32_t mtime_nanos = 0;
    uint32_t parent = 0;       // row of the parent directory
    uint32_t name_offset = 0;  // into names_
    uint16_t name_length = 0;
    bool is_dir = false;
    bool executable = false;
    uint32_t first = 0;    // dirs: first child in children_; files: slot in keys_
    uint32_t count = 0;    // dirs: number of children
    uint32_t subdirs = 0;  // dirs
  };

  const Node& node(Inode ino) const { return nodes_[ino - 1]; }
  uint32_t add_node(uint32_t parent, std::string_view name, bool is_dir);
  std::string_view name_of(const Node& n) const { return {names_.data() + n.name_offset, n.name_length}; }

  std::vector<Node> nodes_;
  std::vector<cafs::Key> keys_;
  std::vector<uint32_t> children_;
  std::string names_;
  uint64_t total_bytes_ = 0;
};

}  // namespace dm::fusefs
