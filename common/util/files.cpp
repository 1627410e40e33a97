#include "common/util/files.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <functional>
#include <optional>
#include <random>

#include "common/util/error.h"

namespace dm {

size_t read_full_at(int fd, std::span<char> buffer, uint64_t offset, const std::string& what) {
  size_t done = 0;
  while (done < buffer.size()) {
    const ssize_t n = ::pread(fd, buffer.data() + done, buffer.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("cannot read", what);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

size_t read_full(int fd, std::span<char> buffer, const std::string& what) {
  size_t done = 0;
  while (done < buffer.size()) {
    const ssize_t n = ::read(fd, buffer.data() + done, buffer.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("cannot read", what);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

void write_full_at(int fd, std::string_view data, uint64_t offset, const std::string& what) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("cannot write", what);
    done += static_cast<size_t>(n);
  }
}

void write_full(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("cannot write", what);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

namespace {

// Whether `data`'s bulk at `offset` may go past the page cache, and how many bytes of it.
size_t direct_bulk(std::string_view data, uint64_t offset) {
  const size_t bulk = data.size() & ~(kDirectWriteAlign - 1);
  const bool aligned =
      reinterpret_cast<uintptr_t>(data.data()) % kDirectWriteAlign == 0 && offset % kDirectWriteAlign == 0;
  return aligned && bulk >= kDirectWriteMin ? bulk : 0;
}

// Writes the first `bulk` bytes of `data` through `fd`, which has O_DIRECT set; returns how
// many it wrote: fewer when the device refused a direct write (EINVAL: a stricter alignment),
// the rest being the caller's to write through the page cache.
size_t write_direct(int fd, std::string_view data, size_t bulk, uint64_t offset, const std::string& what) {
  size_t done = 0;
  while (done < bulk) {
    const ssize_t n = ::pwrite(fd, data.data() + done, bulk - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EINVAL) break;
    if (n < 0) throw_errno("cannot write", what);
    done += static_cast<size_t>(n);
  }
  return done;
}

}  // namespace

void write_bulk_at(int fd, std::string_view data, uint64_t offset, const std::string& what) {
  const size_t bulk = direct_bulk(data, offset);
  const int flags = bulk > 0 ? ::fcntl(fd, F_GETFL) : -1;
  if (flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_DIRECT) == 0) {
    size_t done = 0;
    try {
      done = write_direct(fd, data, bulk, offset, what);
    } catch (...) {
      ::fcntl(fd, F_SETFL, flags);
      throw;
    }
    if (::fcntl(fd, F_SETFL, flags) != 0) throw_errno("cannot clear O_DIRECT on", what);
    data.remove_prefix(done);
    offset += done;
  }
  write_full_at(fd, data, offset, what);
}

UniqueFd reopen_for_direct_writes(int fd) {
  const auto proc = "/proc/self/fd/" + std::to_string(fd);
  return UniqueFd(::open(proc.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC));
}

void write_bulk_at(int direct, int fd, std::string_view data, uint64_t offset, const std::string& what) {
  const size_t done = write_direct(direct, data, direct_bulk(data, offset), offset, what);
  write_full_at(fd, data.substr(done), offset + done, what);
}

void preallocate(int fd, uint64_t size, const std::string& what) {
  if (size == 0 || ::fallocate(fd, 0, 0, static_cast<off_t>(size)) == 0) return;
  if (errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL) return;  // the writes allocate instead
  throw_errno("cannot allocate " + std::to_string(size) + " bytes for", what);
}

void close_checked(UniqueFd& fd, const std::string& what) {
  // No retry on EINTR: Linux has released the descriptor whatever close(2) returns.
  if (::close(fd.release()) != 0) throw_errno("cannot close", what);
}

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
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw_errno("cannot open for fsync", path.string());
  if (::fsync(fd.get()) != 0) throw_errno("cannot fsync", path.string());
}

void start_write_back(int fd, const std::string& what) {
  if (::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) != 0) throw_errno("cannot start writing back", what);
}

void sync_file_system(const std::filesystem::path& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw_errno("cannot open for syncfs", path.string());
  if (::syncfs(fd.get()) != 0) throw_errno("cannot sync the file system of", path.string());
}

void ensure_mode(int fd, unsigned mode, const std::string& what) {
  // A new file usually has its mode already (the umask took nothing away), and a stat is much
  // cheaper than a chmod, which dirties the inode in the journal.
  struct stat st {};
  if (::fstat(fd, &st) == 0 && (st.st_mode & 07777) == mode) return;
  if (::fchmod(fd, mode) != 0) throw_errno("cannot chmod", what);
}

UniqueFd open_unnamed(int dirfd, const char* dir, unsigned mode, const std::string& what) {
  // The file is named through /proc: linkat with AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH.
  static const bool proc_fds = ::access("/proc/self/fd", X_OK) == 0;
  if (!proc_fds) return {};
  UniqueFd fd(::openat(dirfd, dir, O_WRONLY | O_TMPFILE | O_CLOEXEC, mode));
  if (!fd.valid() && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
    throw_errno("cannot create a file in", what);
  return fd;
}

namespace {

// Whether this process may link any descriptor by itself (linkat with AT_EMPTY_PATH); from
// Linux 6.10 on, a process may link without it the files it opened itself.
bool has_dac_read_search() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  std::array<__user_cap_data_struct, _LINUX_CAPABILITY_U32S_3> data{};
  if (::syscall(SYS_capget, &header, data.data()) != 0) return false;
  return (data[CAP_DAC_READ_SEARCH / 32].effective & (1U << (CAP_DAC_READ_SEARCH % 32))) != 0;
}

bool kernel_at_least(int major, int minor) {
  utsname u{};
  if (::uname(&u) != 0) return false;
  const std::string_view release(u.release);
  int have_major = 0;
  int have_minor = 0;
  const auto [dot, major_error] = std::from_chars(release.data(), release.data() + release.size(), have_major);
  if (major_error != std::errc() || dot == release.data() + release.size() || *dot != '.') return false;
  if (std::from_chars(dot + 1, release.data() + release.size(), have_minor).ec != std::errc()) return false;
  return have_major > major || (have_major == major && have_minor >= minor);
}

// Names the unnamed file `fd` as `name` in `dirfd`; false when that name exists already (a
// symlink too: never followed, never replaced).
bool link_unnamed(int fd, int dirfd, const char* name, const std::string& what) {
  // Where the kernel allows, the descriptor itself is linked, which spares the walk through
  // /proc; where it refuses after all (ENOENT: a file opened under other credentials, a
  // capability held in a user namespace only), /proc names it.
  static const bool may_link_descriptors = has_dac_read_search() || kernel_at_least(6, 10);
  if (may_link_descriptors) {
    if (::linkat(fd, "", dirfd, name, AT_EMPTY_PATH) == 0) return true;
    if (errno == EEXIST) return false;
    if (errno != ENOENT) throw_errno("cannot link into place", what);
  }
  const auto proc = "/proc/self/fd/" + std::to_string(fd);
  if (::linkat(AT_FDCWD, proc.c_str(), dirfd, name, AT_SYMLINK_FOLLOW) == 0) return true;
  if (errno == EEXIST) return false;
  throw_errno("cannot link into place", what);
}

}  // namespace

bool publish_unnamed(UniqueFd& fd, int dirfd, const char* name, AtomicWrite how, const TempName& temp_name,
                     const std::string& what) {
  const bool linked = link_unnamed(fd.get(), dirfd, name, what);
  if (!linked && how == AtomicWrite::NoReplace) return false;
  const auto temp = linked ? std::filesystem::path() : temp_name();
  if (!linked && !link_unnamed(fd.get(), AT_FDCWD, temp.c_str(), temp.string()))
    throw_errno(EEXIST, "cannot link", temp.string());
  try {
    close_checked(fd, what);
    if (!linked && ::renameat(AT_FDCWD, temp.c_str(), dirfd, name) != 0) throw_errno("cannot rename into place", what);
  } catch (...) {
    if (linked) {
      ::unlinkat(dirfd, name, 0);  // a late write error (close on NFS): the name goes again
    } else {
      ::unlink(temp.c_str());
    }
    throw;
  }
  return true;
}

namespace {

// Writes `data` to the open file and sets its mode; durable when `durability` says so, else
// its write-back started.
void fill(int fd, std::string_view data, unsigned mode, Durability durability, const std::string& what) {
  write_bulk_at(fd, data, 0, what);
  ensure_mode(fd, mode, what);
  if (durability == Durability::Synced) {
    if (::fsync(fd) != 0) throw_errno("cannot fsync", what);
  } else if (data.size() >= kEarlyWriteBackMin) {
    start_write_back(fd, what);
  }
}

}  // namespace

namespace {

// Where write_atomic puts a file: `name` relative to the open folder `dirfd` (or a path with
// AT_FDCWD), its folder `dir` relative to `dirfd` too.
struct Destination {
  int dirfd;
  const char* dir;
  const char* name;
  const std::string& what;
  const TempName& temp_name;
};

// Makes the file's name durable: an fsync of its folder.
void sync_folder(const Destination& to) {
  if (to.dirfd == AT_FDCWD) {
    fsync_path(to.dir);
  } else if (::fsync(to.dirfd) != 0) {
    throw_errno("cannot fsync the folder of", to.what);
  }
}

bool write_atomic(const Destination& to, std::string_view data, unsigned mode, AtomicWrite how, Durability durability) {
  if (UniqueFd unnamed = open_unnamed(to.dirfd, to.dir, mode, to.what); unnamed.valid()) {
    fill(unnamed.get(), data, mode, durability, to.what);
    if (!publish_unnamed(unnamed, to.dirfd, to.name, how, to.temp_name, to.what)) return false;
    if (durability == Durability::Synced) sync_folder(to);
    return true;
  }
  const auto tmp = to.temp_name();
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd.valid()) throw_errno("cannot create", tmp.string());
  try {
    fill(fd.get(), data, mode, durability, tmp.string());
    close_checked(fd, tmp.string());
  } catch (...) {
    fd.reset();
    ::unlink(tmp.c_str());
    throw;
  }
  if (how == AtomicWrite::Replace) {
    if (::renameat(AT_FDCWD, tmp.c_str(), to.dirfd, to.name) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      throw_errno(err, "cannot rename into place", to.what);
    }
  } else {
    // link(2) fails with EEXIST if the target exists: an atomic create-if-absent.
    if (::linkat(AT_FDCWD, tmp.c_str(), to.dirfd, to.name, 0) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      if (err == EEXIST) return false;
      throw_errno(err, "cannot link into place", to.what);
    }
    ::unlink(tmp.c_str());
  }
  if (durability == Durability::Synced) sync_folder(to);
  return true;
}

}  // namespace

bool write_file_atomic(const std::filesystem::path& path, std::string_view data, unsigned mode, AtomicWrite how,
                       const std::filesystem::path& temp_dir, Durability durability) {
  const auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  const TempName temp_name = [&] { return temp_dir.empty() ? temp_sibling(path) : temp_name_in(temp_dir, path); };
  return write_atomic({AT_FDCWD, dir.c_str(), path.c_str(), path.string(), temp_name}, data, mode, how, durability);
}

bool write_file_atomic_at(int dirfd, const std::string& name, const std::string& what, std::string_view data,
                          unsigned mode, AtomicWrite how, const std::filesystem::path& temp_dir,
                          Durability durability) {
  const TempName temp_name = [&] { return temp_name_in(temp_dir, name); };
  return write_atomic({dirfd, ".", name.c_str(), what, temp_name}, data, mode, how, durability);
}

UniqueFd open_regular_file_at(int dirfd, const char* name, const std::string& shown, const std::string& what) {
  UniqueFd fd(::openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd.valid()) {
    const int err = errno;
    if (err == ELOOP) throw Error(ErrorKind::Corrupt, what + " is not a regular file (a symlink)");
    // A device on a nodev mount, say: say what it is rather than why it could not be opened.
    struct stat st {};
    if (err != ENOENT && ::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode)) {
      throw Error(ErrorKind::Corrupt, what + " is not a regular file");
    }
    throw_errno(err, "cannot open", shown);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("cannot stat", shown);
  if (!S_ISREG(st.st_mode)) throw Error(ErrorKind::Corrupt, what + " is not a regular file");
  return fd;
}

UniqueFd open_regular_file(const std::filesystem::path& path, const std::string& what) {
  return open_regular_file_at(AT_FDCWD, path.c_str(), path.string(), what);
}

void read_regular_into(int fd, uint64_t max_bytes, std::string& out, const std::string& what) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno("cannot stat", what);
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > max_bytes) {
    throw Error(ErrorKind::Corrupt, what + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  // Never past the size fstat gave: a file that grows meanwhile is read to that size only.
  out.resize(static_cast<size_t>(size));
  // Shorter when the file shrank meanwhile: the caller's checks judge what we got.
  out.resize(read_full_at(fd, out, 0, what));
}

UniqueFd open_folder_below(int base, const std::filesystem::path& rel, bool create,
                           const std::filesystem::path& shown_base) {
  UniqueFd current(::fcntl(base, F_DUPFD_CLOEXEC, 0));
  if (!current.valid()) throw_errno("cannot duplicate the descriptor of", shown_base.string());
  std::filesystem::path shown = shown_base;
  for (const auto& part : rel) {
    const auto name = part.string();
    if (name.empty() || name == ".") continue;
    shown /= part;
    int fd = ::openat(current.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      if (::mkdirat(current.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
        throw_errno("cannot create folder", shown.string());
      }
      fd = ::openat(current.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      if (errno == ELOOP || errno == ENOTDIR) {
        struct stat st {};
        const bool link = ::fstatat(current.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
        throw Error(ErrorKind::InvalidArgument,
                    dm::quoted(shown.string()) + (link ? " is a symlink; refusing to follow it" : " is not a folder"));
      }
      throw_errno("cannot open folder", shown.string());
    }
    current = UniqueFd(fd);
  }
  return current;
}

std::string read_file(const std::filesystem::path& path) {
  std::string out;
  read_file_into(path, out);
  return out;
}

void read_file_into(const std::filesystem::path& path, std::string& out) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw_errno("cannot open", path.string());
  // Read straight into the result: leaves are megabytes, and a bounce buffer doubled the copying.
  // The size comes from fstat; a final small read confirms the end (or finds growth). Growing
  // `out` zero-fills only the part beyond its current size, so a reused buffer mostly is not.
  struct stat st {};
  const size_t expected = ::fstat(fd.get(), &st) == 0 && st.st_size > 0 ? static_cast<size_t>(st.st_size) : 0;
  out.resize(expected);
  size_t size = read_full(fd.get(), out, path.string());
  if (size == expected) {  // a pipe, a /proc file (size 0) or a file that grew: read to its end
    char tail[65536];
    for (;;) {
      const size_t n = read_full(fd.get(), tail, path.string());
      out.append(tail, n);
      size += n;
      if (n < sizeof tail) break;  // read_full is short only at the end
    }
  }
  out.resize(size);
}

}  // namespace dm
