// LeafLists: the leaf keys of each mounted file, read from its root blob once and kept in a
// bounded LRU (as Go's keys cache), with the count checked against the size the index gives.
// With a disk tier, root blobs are kept there too (a later mount then needs no store request
// for a cached file); one read from disk is decoded and checked against its key like one from
// the store, and dropped when it fails.
//
// Thread-safe; two threads asking for the same cold file may both read its root blob (it is
// small). Throws dm::Error naming the root object at fault.
#pragma once

#include <list>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "common/cafs/reader.h"
#include "fusefs/block_cache.h"
#include "fusefs/bundle_index.h"
#include "fusefs/disk_cache.h"

namespace dm::fusefs {

class LeafLists {
 public:
  LeafLists(const BundleIndex& index, cafs::Reader& reader, DiskCache* disk = nullptr)
      : index_(index), reader_(reader), disk_(disk) {}

  LeafList get(Inode ino);
  // The list when it is known already, else null (no I/O).
  LeafList known(Inode ino);

 private:
  static constexpr size_t kMaxLeafLists = 10000;  // as Go's keys cache
  std::vector<cafs::Key> read_root(const cafs::Key& root);

  const BundleIndex& index_;
  cafs::Reader& reader_;
  DiskCache* disk_;
  std::mutex mutex_;
  std::list<Inode> lru_;
  std::unordered_map<Inode, std::pair<LeafList, std::list<Inode>::iterator>> lists_;
};

}  // namespace dm::fusefs
