// DiskCache: the disk tier of the block cache, verified leaves kept as files named by their key.
//
// Keyed by leaf hash only, so a leaf shared by files, bundles or mounts is stored once and
// survives restarts. Each file is written to a temporary name and renamed into place, without
// fsync (a cache needs no durability), and carries a CRC32C of its bytes, checked on every read:
// a file that fails the check (torn by a crash, damaged) is deleted and reported as absent. The CRC only catches
// damage: the folder is not trusted, so the caller verifies each leaf against its key before serving it (BlockCache
// does) and discards one that fails. The total size stays under the budget by evicting the least recently used files
// (recency survives restarts via mtime). Thread-safe. Errors on put are reported to the caller; get never throws for a
// bad file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/cafs/key.h"

namespace dm::fusefs {

class DiskCache {
 public:
  // Creates `dir` if needed and takes stock of the leaves already in it.
  DiskCache(std::filesystem::path dir, uint64_t budget_bytes);
  DiskCache(const DiskCache&) = delete;
  DiskCache& operator=(const DiskCache&) = delete;

  // The leaf's bytes, or nullopt when absent or damaged (a damaged file is removed and counted).
  std::optional<std::string> get(const cafs::Key& key);
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
  struct Slot {
    uint64_t size;
    std::list<cafs::Key>::iterator position;
  };
  void forget_locked(const cafs::Key& key);

  std::filesystem::path dir_;
  std::filesystem::path tmp_;
  uint64_t budget_;
  mutable std::mutex mutex_;
  std::list<cafs::Key> lru_;  // front = most recently used
  std::unordered_map<cafs::Key, Slot, cafs::KeyHash> slots_;
  uint64_t bytes_ = 0;
  uint64_t damaged_ = 0;
};

}  // namespace dm::fusefs
