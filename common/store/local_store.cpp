#include "common/store/local_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "common/util/error.h"
#include "common/util/files.h"

namespace fs = std::filesystem;

namespace dm::store {

namespace {

// Where older versions kept temporary files inside the bucket; still skipped when listing.
constexpr std::string_view kTmpDir = ".dm-tmp";

bool valid_name(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.back() == '/') return false;
  if (name.find('\0') != std::string_view::npos) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    const auto part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (start == 0 && part == kTmpDir) return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

LocalStore::LocalStore(const fs::path& root, bool create, bool defer_sync)
    : root_(fs::absolute(root).lexically_normal()), defer_sync_(defer_sync) {
  if (root_.has_filename() == false && root_.has_parent_path()) root_ = root_.parent_path();
  std::error_code ec;
  if (create) {
    fs::create_directories(root_, ec);
    if (ec) throw Error(ErrorKind::Io, "cannot create store folder '" + root_.string() + "': " + ec.message());
  } else if (!fs::is_directory(root_, ec)) {
    throw Error(ErrorKind::NotFound, "store folder '" + root_.string() + "' does not exist");
  }
  root_fd_ = UniqueFd(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd_.valid()) throw_errno("cannot open store folder", root_.string());
  // Temporary files live beside the bucket (same file system, so rename stays atomic), never in
  // it: a bucket folder holds only objects.
  std::string tmp_name = root_.filename().string();
  tmp_name.insert(tmp_name.begin(), '.');
  tmp_name.append(kTmpDir);
  tmp_ = root_.parent_path() / tmp_name;
}

std::string LocalStore::describe() const {
  return "file://" + root_.string();
}

fs::path LocalStore::path_of(std::string_view name) const {
  if (!valid_name(name)) {
    throw Error(ErrorKind::InvalidArgument, "invalid object name '" + std::string(name) + "' in " + describe());
  }
  return root_ / fs::path(std::string(name));
}

UniqueFd LocalStore::open_object(std::string_view name) const {
  const auto path = path_of(name);
  try {
    if (in_root(name)) {
      return open_regular_file_at(root_fd_.get(), path.filename().c_str(), path.string(),
                                  "object " + object_url(*this, name));
    }
    return open_regular_file(path, "object " + object_url(*this, name));
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound)
      throw Error(ErrorKind::NotFound, "object " + object_url(*this, name) + " not found");
    throw;
  }
}

std::string LocalStore::get(std::string_view name) {
  std::string out;
  get_into(name, out, kMaxWholeObject);
  return out;
}

void LocalStore::get_into(std::string_view name, std::string& out, uint64_t max_size) {
  const auto fd = open_object(name);
  read_regular_into(fd.get(), max_size, out, "object " + object_url(*this, name));
}

size_t LocalStore::read_into(std::string_view name, uint64_t max_size, const BufferFor& buffer_for,
                             const OnArrived& on_arrived) {
  const auto fd = open_object(name);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("cannot stat", "object " + object_url(*this, name));
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > max_size) throw_too_large(name, max_size);
  const auto buffer = buffer_for(static_cast<size_t>(size)).first(static_cast<size_t>(size));
  // Shorter than fstat said when the file shrank: the caller's hash check judges what arrived.
  const size_t length = read_full_at(fd.get(), buffer, 0, "object " + object_url(*this, name));
  if (on_arrived) on_arrived({buffer.data(), length});
  return length;
}

std::string LocalStore::get_range(std::string_view name, uint64_t offset, uint64_t length) {
  const auto fd = open_object(name);
  const auto what = "object " + object_url(*this, name);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("cannot stat", what);
  const auto size = static_cast<uint64_t>(st.st_size);
  std::string out;
  if (offset < size) {
    out.resize(static_cast<size_t>(std::min(length, size - offset)));
    if (read_full_at(fd.get(), out, offset, what) != out.size()) throw_errno(EIO, "cannot read", what);
  }
  return out;
}

std::optional<ObjectInfo> LocalStore::stat(std::string_view name) {
  const auto path = path_of(name);
  struct stat st {};
  const int found = in_root(name) ? ::fstatat(root_fd_.get(), path.filename().c_str(), &st, AT_SYMLINK_NOFOLLOW)
                                  : ::lstat(path.c_str(), &st);
  if (found != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw_errno("cannot stat", path.string());
  }
  if (!S_ISREG(st.st_mode)) return std::nullopt;
  return ObjectInfo{static_cast<uint64_t>(st.st_size), std::nullopt, static_cast<int64_t>(st.st_mtim.tv_sec)};
}

bool LocalStore::remove_if_older(std::string_view name, int64_t cutoff) {
  const auto path = path_of(name);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return false;
    throw_errno("cannot stat", path.string());
  }
  if (!S_ISREG(st.st_mode) || st.st_mtim.tv_sec >= cutoff) return false;
  std::error_code ec;
  fs::create_directories(tmp_, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create folder '" + tmp_.string() + "': " + ec.message());
  std::string aside_name = "purge-" + std::string(name);
  std::replace(aside_name.begin(), aside_name.end(), '/', '%');
  const auto aside = tmp_ / aside_name;
  if (::rename(path.c_str(), aside.c_str()) != 0) {
    if (errno == ENOENT) return false;
    throw_errno("cannot move aside", path.string());
  }
  if (::lstat(aside.c_str(), &st) != 0) throw_errno("cannot stat", aside.string());
  if (st.st_mtim.tv_sec < cutoff) {
    if (::unlink(aside.c_str()) != 0) throw_errno("cannot remove", aside.string());
    return true;
  }
  // Re-written since it was judged: put it back, unless a writer has already re-created it.
  if (::link(aside.c_str(), path.c_str()) != 0 && errno != EEXIST) throw_errno("cannot restore", path.string());
  if (::unlink(aside.c_str()) != 0) throw_errno("cannot remove", aside.string());
  return false;
}

void LocalStore::put(std::string_view name, std::string_view data, PutMode mode) {
  const auto path = path_of(name);
  std::error_code ec;
  // The bucket folder exists (the constructor checked); only a name with folders needs them made.
  if (path.parent_path() != root_) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) throw Error(ErrorKind::Io, "cannot create folder '" + path.parent_path().string() + "': " + ec.message());
  }
  if (!tmp_made_.load(std::memory_order_acquire)) {
    fs::create_directories(tmp_, ec);
    if (ec) throw Error(ErrorKind::Io, "cannot create folder '" + tmp_.string() + "': " + ec.message());
    tmp_made_.store(true, std::memory_order_release);
  }
  const auto how = mode == PutMode::NoOverwrite ? AtomicWrite::NoReplace : AtomicWrite::Replace;
  const auto durability = defer_sync_ ? Durability::Deferred : Durability::Synced;
  const auto write = [&] {
    if (in_root(name)) {
      return write_file_atomic_at(root_fd_.get(), path.filename().string(), path.string(), data, 0644, how, tmp_,
                                  durability);
    }
    return write_file_atomic(path, data, 0644, how, tmp_, durability);
  };
  bool written = false;
  try {
    written = write();
  } catch (const Error&) {
    // The temporary folder was removed since this store made it (by hand, or a cleaner): once more.
    if (fs::is_directory(tmp_, ec)) throw;
    fs::create_directories(tmp_, ec);
    if (ec) throw Error(ErrorKind::Io, "cannot create folder '" + tmp_.string() + "': " + ec.message());
    written = write();
  }
  if (!written) throw Error(ErrorKind::AlreadyExists, "object " + object_url(*this, name) + " already exists");
}

void LocalStore::flush() {
  if (!defer_sync_) return;
  // Always, even after no put(): objects another process wrote (and we found by stat) count too.
  sync_file_system(root_);
}

void LocalStore::list(std::string_view prefix, std::string_view delimiter,
                      const std::function<void(const ListEntry&)>& on_entry) {
  // Start at the deepest folder the prefix names; everything else cannot match.
  const auto slash = prefix.rfind('/');
  const std::string dir_part = slash == std::string_view::npos ? "" : std::string(prefix.substr(0, slash));
  const fs::path start = dir_part.empty() ? root_ : root_ / dir_part;
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::is_directory(start, ec)) return;
  for (auto it = fs::recursive_directory_iterator(start, fs::directory_options::none, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const auto rel = it->path().lexically_relative(root_).generic_string();
    if (it.depth() == 0 && start == root_ && it->path().filename() == kTmpDir) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->symlink_status(ec).type() != fs::file_type::regular) continue;
    if (rel.compare(0, prefix.size(), prefix) != 0) continue;
    names.push_back(rel);
  }
  if (ec) throw Error(ErrorKind::Io, "cannot list '" + start.string() + "': " + ec.message());
  std::sort(names.begin(), names.end());
  std::string last_prefix;
  for (const auto& name : names) {
    if (!delimiter.empty()) {
      const auto pos = name.find(delimiter, prefix.size());
      if (pos != std::string::npos) {
        auto common = name.substr(0, pos + delimiter.size());
        if (common != last_prefix) {
          last_prefix = common;
          on_entry(ListEntry{std::move(common), true});
        }
        continue;
      }
    }
    on_entry(ListEntry{name, false});
  }
}

void LocalStore::remove(std::string_view name) {
  const auto path = path_of(name);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) throw Error(ErrorKind::NotFound, "object " + object_url(*this, name) + " not found");
    throw_errno("cannot remove", path.string());
  }
}

}  // namespace dm::store
