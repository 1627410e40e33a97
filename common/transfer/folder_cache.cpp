#include "common/transfer/folder_cache.h"

#include <sys/stat.h>

#include <utility>

#include "common/util/error.h"
#include "common/util/files.h"

namespace dm::transfer {

FolderCache::FolderCache(int destination_fd, std::filesystem::path destination, dev_t destination_dev)
    : destination_fd_(destination_fd), destination_(std::move(destination)), destination_dev_(destination_dev) {}

std::shared_ptr<const FolderCache::Folder> FolderCache::open(const std::filesystem::path& rel) {
  const auto key = rel.generic_string();
  {
    std::lock_guard lock(mutex_);
    for (auto it = open_.begin(); it != open_.end(); ++it) {
      if (it->first == key) {
        open_.splice(open_.begin(), open_, it);
        return open_.front().second;
      }
    }
  }
  // Opened outside the lock (it may create folders); two threads that both miss open it twice,
  // harmlessly: each gets a descriptor of the same folder.
  auto folder = std::make_shared<Folder>();
  folder->fd = open_folder_below(destination_fd_, rel, true, destination_);
  struct stat st {};
  folder->on_destination_device = ::fstat(folder->fd.get(), &st) == 0 && st.st_dev == destination_dev_;
  std::lock_guard lock(mutex_);
  open_.emplace_front(key, folder);
  if (open_.size() > kMaxOpen) open_.pop_back();
  return folder;
}

}  // namespace dm::transfer
