// FolderCache: the open folders of a download below its destination, kept while files keep
// landing in them.
//
// A bundle's entries come in name order, so the files of one folder arrive together; each folder
// is opened once (component by component, never through a symlink: open_folder_below) rather
// than once per file, and whether it is on the destination's file system is asked once too.
// At most kMaxOpen folders stay open, the least recently used going first; a caller keeps the
// folder it was given open for as long as it holds it. Thread-safe.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <string>

#include "common/util/unique_fd.h"

namespace dm::transfer {

class FolderCache {
 public:
  static constexpr size_t kMaxOpen = 32;

  struct Folder {
    UniqueFd fd;
    bool on_destination_device = false;
  };

  // `destination_fd` stays open for the cache's lifetime; `destination` names it in errors.
  FolderCache(int destination_fd, std::filesystem::path destination, dev_t destination_dev);

  // The folder `rel` (relative, clean; empty for the destination itself), created when missing.
  std::shared_ptr<const Folder> open(const std::filesystem::path& rel);

 private:
  int destination_fd_;
  std::filesystem::path destination_;
  dev_t destination_dev_;
  std::mutex mutex_;
  std::list<std::pair<std::string, std::shared_ptr<const Folder>>> open_;  // most recently used first
};

}  // namespace dm::transfer
