#include "sidecar/coord_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/util/error.h"

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
  const int fd = ::open(path.c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return std::nullopt;
    if (err == ELOOP) {
      throw Error(ErrorKind::InvalidArgument,
                  "coordination file " + dm::quoted(path.string()) + " is a symlink; only regular files are used");
    }
    throw_errno(err, "cannot open coordination file", path.string());
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw_errno(err, "cannot stat coordination file", path.string());
  }
  if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
    ::close(fd);
    const std::string what = S_ISREG(st.st_mode) ? "a hard link to another file" : kind_of(st.st_mode);
    throw Error(ErrorKind::InvalidArgument,
                "coordination file " + dm::quoted(path.string()) + " is " + what + "; only regular files are used");
  }
  return CoordFile(path, fd, st);
}

CoordFile::CoordFile(std::filesystem::path path, int fd, const struct stat& status)
    : path_(std::move(path)), fd_(fd), status_(status) {}

CoordFile::~CoordFile() {
  if (fd_ >= 0) ::close(fd_);
}

CoordFile::CoordFile(CoordFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_), status_(other.status_) {
  other.fd_ = -1;
}

CoordFile& CoordFile::operator=(CoordFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = other.fd_;
    status_ = other.status_;
    other.fd_ = -1;
  }
  return *this;
}

std::string CoordFile::read_prefix(size_t limit) const {
  std::string data(limit, '\0');
  size_t got = 0;
  while (got < data.size()) {
    const ssize_t n = ::pread(fd_, data.data() + got, data.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("cannot read coordination file", path_.string());
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  data.resize(got);
  return data;
}

}  // namespace dm::sidecar
