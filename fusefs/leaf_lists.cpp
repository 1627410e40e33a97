#include "fusefs/leaf_lists.h"

#include <spdlog/spdlog.h>

#include "common/cafs/root_blob.h"
#include "common/util/error.h"

namespace dm::fusefs {

LeafList LeafLists::known(Inode ino) {
  std::lock_guard lock(mutex_);
  if (const auto* list = lists_.find(ino)) return *list;
  return nullptr;
}

std::vector<cafs::Key> LeafLists::read_root(const cafs::Key& root, uint64_t leaf_count) {
  const auto url = store::object_url(reader_.blobs(), root.hex());
  if (disk_ == nullptr) return reader_.leaf_keys(root);
  // One key per leaf and the root's own: a longer cache file is not read, let alone allocated for.
  if (auto blob = disk_->get(root, cafs::Key::kSize * (leaf_count + 1))) {
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

LeafList LeafLists::load(Inode ino) {
  const uint64_t stride = reader_.stride();
  const uint64_t size = index_.size(ino);
  const uint64_t expected = (size + stride - 1) / stride;
  auto keys = std::make_shared<const std::vector<cafs::Key>>(read_root(index_.root_key(ino), expected));
  if (keys->size() != expected) {
    throw Error(ErrorKind::Corrupt, "root blob " + store::object_url(reader_.blobs(), index_.root_key(ino).hex()) +
                                        " lists " + std::to_string(keys->size()) + " leaves but the index gives " +
                                        std::to_string(size) + " bytes (" + std::to_string(expected) + " leaves)");
  }
  return keys;
}

LeafList LeafLists::get(Inode ino) {
  std::promise<LeafList> promise;
  std::shared_future<LeafList> flight;  // valid when another thread reads the root already
  {
    std::lock_guard lock(mutex_);
    if (const auto* list = lists_.find(ino)) return *list;
    if (auto it = loading_.find(ino); it != loading_.end()) {
      flight = it->second;
    } else {
      loading_.emplace(ino, promise.get_future().share());
    }
  }
  if (flight.valid()) return flight.get();  // the first reader's list, or its error
  try {
    auto keys = load(ino);
    std::lock_guard lock(mutex_);
    lists_.insert(ino, keys, 1);
    loading_.erase(ino);
    promise.set_value(keys);
    return keys;
  } catch (...) {
    {
      std::lock_guard lock(mutex_);
      loading_.erase(ino);
    }
    promise.set_exception(std::current_exception());
    throw;
  }
}

}  // namespace dm::fusefs
