#include "common/cafs/file_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common/cafs/hasher.h"
#include "common/util/error.h"
#include "common/util/files.h"

namespace dm::cafs {

namespace {

void read_leaf(int fd, std::string& leaf, uint64_t offset, const std::filesystem::path& path) {
  if (read_full_at(fd, leaf, offset, path.string()) != leaf.size()) {
    throw Error(ErrorKind::Io, "file '" + path.string() + "' shrank while it was hashed");
  }
}

}  // namespace

std::vector<Key> file_leaf_keys(const std::filesystem::path& path, uint32_t leaf_size, ThreadPool* pool) {
  const UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.valid()) throw_errno("cannot open", path.string());
  const int fd = file.get();
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno("cannot stat", path.string());
  const auto size = static_cast<uint64_t>(st.st_size);
  const uint64_t count = (size + leaf_size - 1) / leaf_size;
  std::vector<Key> keys(count);
  const auto hash_leaf = [&](uint64_t i) {
    std::string leaf(std::min<uint64_t>(leaf_size, size - i * leaf_size), '\0');
    read_leaf(fd, leaf, i * leaf_size, path);
    keys[i] = leaf_key_at({reinterpret_cast<const uint8_t*>(leaf.data()), leaf.size()}, leaf_size, i, count);
  };
  if (pool == nullptr) {
    for (uint64_t i = 0; i < count; ++i) hash_leaf(i);
    return keys;
  }
  TaskGroup group(*pool);
  for (uint64_t i = 0; i < count; ++i) group.run([&hash_leaf, i] { hash_leaf(i); });
  group.wait();
  return keys;
}

Key file_root_key(const std::filesystem::path& path, uint32_t leaf_size) {
  return root_key(file_leaf_keys(path, leaf_size), leaf_size);
}

}  // namespace dm::cafs
