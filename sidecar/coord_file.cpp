#include "sidecar/coord_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/util/error.h"
#include "common/util/files.h"

namespace dm::sidecar {

namespace {
const char* kind_of(mode_t mode) {
  if (S_ISLNK(mode)) return "a symlink";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  return "not a regular file";
}
}  // namespace

std::optional<CoordFile> CoordFile::open(const std::filesystem::path& path, int flags) {
  UniqueFd fd(::open(path.c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    const int err = errno;
    if (err == ENOENT) return std::nullopt;
    if (err == ELOOP) {
      throw Error(ErrorKind::InvalidArgument,
                  "coordination file " + dm::quoted(path.string()) + " is a symlink; only regular files are used");
    }
    throw_errno(err, "cannot open coordination file", path.string());
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("cannot stat coordination file", path.string());
  if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
    const std::string what = S_ISREG(st.st_mode) ? "a hard link to another file" : kind_of(st.st_mode);
    throw Error(ErrorKind::InvalidArgument,
                "coordination file " + dm::quoted(path.string()) + " is " + what + "; only regular files are used");
  }
  return CoordFile(path, std::move(fd), st);
}

CoordFile::CoordFile(std::filesystem::path path, UniqueFd fd, const struct stat& status)
    : path_(std::move(path)), fd_(std::move(fd)), status_(status) {}

std::string CoordFile::read_prefix(size_t limit) const {
  std::string data(limit, '\0');
  data.resize(read_full_at(fd_.get(), data, 0, path_.string()));
  return data;
}

}  // namespace dm::sidecar
