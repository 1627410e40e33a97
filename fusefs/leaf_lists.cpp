#include "fusefs/leaf_lists.h"

#include <spdlog/spdlog.h>

#include "common/cafs/root_blob.h"
#include "common/util/error.h"

namespace dm::fusefs {

LeafList LeafLists::known(Inode ino) {
  std::lock_guard lock(mutex_);
  if (auto it = lists_.find(ino); it != lists_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.second);
    return it->second.first;
  }
  return nullptr;
}

std::vector<cafs::Key> LeafLists::read_root(const cafs::Key& root) {
  const auto url = store::object_url(reader_.blobs(), root.hex());
  if (disk_ == nullptr) return reader_.leaf_keys(root);
  if (auto blob = disk_->get(root)) {
    try {
      return cafs::decode_root_blob(*blob, root, reader_.leaf_size(), url);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::Corrupt) throw;
      spdlog::warn("disk cache file {} does not verify; dropped", dm::quoted(disk_->file_of(root).string()));
      disk_->discard(root);
    }
  }
  const auto blob = reader_.root_blob(root);
  auto keys = cafs::decode_root_blob(blob, root, reader_.leaf_size(), url);
  try {
    disk_->put(root, blob);
  } catch (const Error& e) {
    spdlog::warn("disk cache write failed: {}", e.what());
  }
  return keys;
}

LeafList LeafLists::get(Inode ino) {
  if (auto list = known(ino)) return list;
  auto keys = std::make_shared<const std::vector<cafs::Key>>(read_root(index_.root_key(ino)));
  const uint64_t stride = reader_.stride();
  const uint64_t size = index_.size(ino);
  const uint64_t expected = (size + stride - 1) / stride;
  if (keys->size() != expected) {
    throw Error(ErrorKind::Corrupt, "root blob " + store::object_url(reader_.blobs(), index_.root_key(ino).hex()) +
                                        " lists " + std::to_string(keys->size()) + " leaves but the index gives " +
                                        std::to_string(size) + " bytes (" + std::to_string(expected) + " leaves)");
  }
  std::lock_guard lock(mutex_);
  if (auto it = lists_.find(ino); it != lists_.end()) return it->second.first;
  lru_.push_front(ino);
  lists_.emplace(ino, std::pair{keys, lru_.begin()});
  if (lists_.size() > kMaxLeafLists) {
    lists_.erase(lru_.back());
    lru_.pop_back();
  }
  return keys;
}

}  // namespace dm::fusefs
