// DiskCache: the disk tier of the block cache, verified leaves kept as files named by their key.
//
// Keyed by leaf hash only, so a leaf shared by files, bundles or mounts is stored once and
// survives restarts. Each file is written to a temporary name and renamed into place, without
// fsync (a cache needs no durability) and past the page cache where the buffer allows
// (write_bulk_at), and carries a CRC32C of its bytes after them, checked on every read:
// a file that fails the check (torn by a crash, damaged) is deleted and reported as absent. The CRC only catches
// damage: the folder is not trusted, so the caller verifies each leaf against its key before serving it (BlockCache
// does) and discards one that fails. A file is opened without following symlinks and read with one preadv straight
// into the caller's buffer. The total size stays under the budget by evicting the least recently used files (an
// LruCache charged in bytes; recency survives restarts via mtime); a file being read is pinned, so it is not evicted
// under its reader. Thread-safe. Errors on put are reported to the caller; reads never throw for a bad file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/cafs/key.h"
#include "fusefs/lru_cache.h"

namespace dm::fusefs {

class DiskCache {
 public:
  // Creates `dir` if needed and takes stock of the leaves already in it.
  DiskCache(std::filesystem::path dir, uint64_t budget_bytes);
  DiskCache(const DiskCache&) = delete;
  DiskCache& operator=(const DiskCache&) = delete;

  // Reads the leaf into the buffer `buffer_for(length)` returns (called once, before anything is
  // read into it) and returns its length; nullopt when absent, damaged, or longer than
  // `max_size` (such a file is removed and counted as damaged; the buffer then holds nothing
  // of use).
  std::optional<size_t> read_into(const cafs::Key& key, uint64_t max_size,
                                  const std::function<std::span<char>(size_t length)>& buffer_for);
  // The object's bytes in a string (root blobs), as read_into.
  std::optional<std::string> get(const cafs::Key& key, uint64_t max_size);
  // Removes the leaf's file (a caller found it does not verify) and counts it as damaged.
  void discard(const cafs::Key& key);
  // Stores a verified leaf; returns the number of files evicted to make room.
  size_t put(const cafs::Key& key, std::string_view data);

  // Whether a file for the leaf is listed (no I/O: the file is checked only by get).
  bool contains(const cafs::Key& key) const;
  uint64_t bytes() const;
  uint64_t budget() const { return budget_; }
  uint64_t damaged() const;
  std::filesystem::path file_of(const cafs::Key& key) const;

 private:
  struct File {};  // the index needs only the key and the file's size (its charge)
  // Deletes the files evicted from the index since the last call (outside mutex_).
  size_t remove_evicted();

  std::filesystem::path dir_;
  std::filesystem::path tmp_;
  uint64_t budget_;
  mutable std::mutex mutex_;
  std::vector<cafs::Key> evicted_;  // evicted from the index, file not yet deleted
  LruCache<cafs::Key, File, cafs::KeyHash> index_;
  uint64_t damaged_ = 0;
};

}  // namespace dm::fusefs
