#include "common/cafs/file_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "common/cafs/hasher.h"
#include "common/util/error.h"

namespace dm::cafs {

Key file_root_key(const std::filesystem::path& path, uint32_t leaf_size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open", path.string());
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno("cannot stat", path.string());
  const auto size = static_cast<uint64_t>(st.st_size);
  const uint64_t count = (size + leaf_size - 1) / leaf_size;
  std::vector<Key> keys;
  keys.reserve(count);
  std::string leaf;
  for (uint64_t i = 0; i < count; ++i) {
    leaf.resize(std::min<uint64_t>(leaf_size, size - i * leaf_size));
    size_t got = 0;
    while (got < leaf.size()) {
      const ssize_t n = ::pread(fd, leaf.data() + got, leaf.size() - got, static_cast<off_t>(i * leaf_size + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_errno("cannot read", path.string());
      if (n == 0) throw Error(ErrorKind::Io, "file '" + path.string() + "' shrank while it was hashed");
      got += static_cast<size_t>(n);
    }
    keys.push_back(leaf_key_at({reinterpret_cast<const uint8_t*>(leaf.data()), leaf.size()}, leaf_size, i, count));
  }
  return root_key(keys, leaf_size);
}

}  // namespace dm::cafs
