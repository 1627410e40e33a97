#include "fusefs/leaf_lists.h"

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

LeafList LeafLists::get(Inode ino) {
  if (auto list = known(ino)) return list;
  auto keys = std::make_shared<const std::vector<cafs::Key>>(reader_.leaf_keys(index_.root_key(ino)));
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
