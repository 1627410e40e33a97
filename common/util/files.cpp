#include "common/util/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>

#include "common/util/error.h"

namespace dm {

namespace {

void write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

std::filesystem::path temp_name_in(const std::filesystem::path& dir, const std::filesystem::path& path) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto base = path.filename().string();
  if (base.size() > 100) base.resize(100);  // keep the temporary name under NAME_MAX
  const auto name = "." + base + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rng() % 1000000000ULL);
  return dir / name;
}

std::filesystem::path temp_sibling(const std::filesystem::path& path) {
  return temp_name_in(path.parent_path(), path);
}

void fsync_path(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open for fsync", path.string());
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw_errno(err, "cannot fsync", path.string());
}

bool write_file_atomic(const std::filesystem::path& path, std::string_view data, unsigned mode, AtomicWrite how,
                       const std::filesystem::path& temp_dir, bool sync_directory) {
  const auto tmp = temp_dir.empty() ? temp_sibling(path) : temp_name_in(temp_dir, path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw_errno("cannot create", tmp.string());
  try {
    write_all(fd, data, tmp.string());
    if (::fchmod(fd, mode) != 0) throw_errno("cannot chmod", tmp.string());
    if (::fsync(fd) != 0) throw_errno("cannot fsync", tmp.string());
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  bool published = true;
  if (how == AtomicWrite::Replace) {
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      throw_errno(err, "cannot rename into place", path.string());
    }
  } else {
    // link(2) fails with EEXIST if the target exists: an atomic create-if-absent.
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      if (err == EEXIST) return false;
      throw_errno(err, "cannot link into place", path.string());
    }
    ::unlink(tmp.c_str());
  }
  if (sync_directory) {
    const auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    fsync_path(dir);
  }
  return published;
}

std::string read_file(const std::filesystem::path& path) {
  std::string out;
  read_file_into(path, out);
  return out;
}

void read_file_into(const std::filesystem::path& path, std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open", path.string());
  // Read straight into the result: leaves are megabytes, and a bounce buffer doubled the copying.
  // The size comes from fstat; a final small read confirms the end (or finds growth). Growing
  // `out` zero-fills only the part beyond its current size, so a reused buffer mostly is not.
  struct stat st {};
  const size_t expected = ::fstat(fd, &st) == 0 && st.st_size > 0 ? static_cast<size_t>(st.st_size) : 0;
  out.resize(expected);
  size_t size = 0;
  char tail[65536];
  for (;;) {
    const bool into_out = size < out.size();
    char* dst = into_out ? out.data() + size : tail;
    const size_t room = into_out ? out.size() - size : sizeof tail;
    const ssize_t n = ::read(fd, dst, room);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw_errno(err, "cannot read", path.string());
    }
    if (n == 0) break;
    if (into_out) {
      size += static_cast<size_t>(n);
    } else {
      out.append(tail, static_cast<size_t>(n));
      size = out.size();
    }
  }
  ::close(fd);
  out.resize(size);
}

}  // namespace dm
