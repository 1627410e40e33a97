// Opening a file of the coordination folder, which anything in the pod can write: the
// application (possibly hostile) shares it with sidecars that run as root.
//
// Guarantees: a symlink is never followed (O_NOFOLLOW), an open never blocks (O_NONBLOCK: a
// FIFO planted there cannot hang us), and only a regular file with one link is accepted, so
// neither a truncate nor a write can reach a file outside the folder. Reads are bounded.
// Errors are dm::Error naming the file. Not copyable; movable.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "common/util/unique_fd.h"

namespace dm::sidecar {

class CoordFile {
 public:
  // Opens `path` with `flags` (O_RDONLY, O_RDWR | O_CREAT, ...). Nothing when it does not
  // exist (and O_CREAT was not given); InvalidArgument when it is not a regular file of its own
  // (a symlink, a FIFO, a device, a folder, a hard link to another file).
  static std::optional<CoordFile> open(const std::filesystem::path& path, int flags);
  int fd() const { return fd_.get(); }
  const struct stat& status() const { return status_; }
  // The first `limit` bytes at most: a huge file costs no more memory than a small one.
  std::string read_prefix(size_t limit) const;

 private:
  CoordFile(std::filesystem::path path, UniqueFd fd, const struct stat& status);
  std::filesystem::path path_;
  UniqueFd fd_;
  struct stat status_ {};
};

}  // namespace dm::sidecar
