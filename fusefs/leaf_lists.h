// LeafLists: the leaf keys of each mounted file, read from its root blob once and kept in a
// bounded LruCache (as Go's keys cache), with the count checked against the size the index gives.
// With a disk tier, root blobs are kept there too (a later mount then needs no store request
// for a cached file); one read from disk is decoded and checked against its key like one from
// the store, and dropped when it fails.
//
// Thread-safe. However many threads ask for the same cold file at once, its root blob is read
// once (single-flight): the others wait for that read and get its list or its error. Failures
// are not kept: the next ask reads again. Throws dm::Error naming the root object at fault.
#pragma once

#include <future>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common/cafs/reader.h"
#include "fusefs/block_cache.h"
#include "fusefs/bundle_index.h"
#include "fusefs/disk_cache.h"
#include "fusefs/lru_cache.h"

namespace dm::fusefs {

class LeafLists {
 public:
  LeafLists(const BundleIndex& index, cafs::Reader& reader, DiskCache* disk = nullptr)
      : index_(index), reader_(reader), disk_(disk), lists_(kMaxLeafLists) {}

  LeafList get(Inode ino);
  // The list when it is known already, else null (no I/O).
  LeafList known(Inode ino);

 private:
  static constexpr size_t kMaxLeafLists = 10000;  // as Go's keys cache
  // The keys `root` lists (`leaf_count` of them if the blob is right: the bound of a disk read).
  std::vector<cafs::Key> read_root(const cafs::Key& root, uint64_t leaf_count);
  // The file's list from its root blob, its length checked against the index.
  LeafList load(Inode ino);

  const BundleIndex& index_;
  cafs::Reader& reader_;
  DiskCache* disk_;
  std::mutex mutex_;
  LruCache<Inode, LeafList> lists_;                                  // charge 1 per file
  std::unordered_map<Inode, std::shared_future<LeafList>> loading_;  // the reads in flight
};

}  // namespace dm::fusefs
