#include "sidecar/signal_files.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "common/util/error.h"
#include "common/util/files.h"
#include "sidecar/coord_file.h"

namespace dm::sidecar {

namespace signals {
std::string db_started(const std::string& db) {
  return db + "/dbstarted";
}
std::string db_init_upload(const std::string& db) {
  return db + "/initdbupload";
}
std::string db_upload_done(const std::string& db) {
  return db + "/dbuploaddone";
}
std::string db_failed(const std::string& db) {
  return db + "/dbfailed";
}
std::string db_lock(const std::string& db) {
  return db + "/db.lock";
}
std::string db_progress(const std::string& db) {
  return db + "/db.progress";
}
}  // namespace signals

namespace {
// The signal's status when a regular file is at its name (symlinks are not followed).
std::optional<struct stat> regular_file_status(const std::filesystem::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return st;
}
}  // namespace

void CoordDir::ensure(const std::string& sub) const {
  const auto dir = sub.empty() ? root_ : root_ / sub;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw Error(ErrorKind::Io, "cannot create coordination folder " + dm::quoted(dir.string()) + ": " + ec.message());
  // A database's folder is inside the shared folder: a symlink there would carry its lock and
  // signals (written as root) to wherever it points.
  struct stat st {};
  if (!sub.empty() && (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))) {
    throw Error(ErrorKind::InvalidArgument, "coordination folder " + dm::quoted(dir.string()) +
                                                " is not a folder (a symlink?); only folders are used");
  }
}

void CoordDir::raise(const std::string& name, const std::string& reason) const {
  const auto target = path(name);
  const auto sub = std::filesystem::path(name).parent_path();
  ensure(sub.string());
  std::string line = reason;
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (!line.empty()) line += "\n";
  write_file_atomic(target, line, 0644, AtomicWrite::Replace);
}

bool CoordDir::is_raised(const std::string& name) const {
  return regular_file_status(path(name)).has_value();
}

std::optional<timespec> CoordDir::raised_at(const std::string& name) const {
  const auto st = regular_file_status(path(name));
  if (!st) return std::nullopt;
  return st->st_mtim;
}

std::optional<std::string> CoordDir::reason(const std::string& name) const {
  std::optional<CoordFile> file;
  try {
    file = CoordFile::open(path(name), O_RDONLY);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::InvalidArgument) return std::nullopt;  // not a signal (coord_file.h)
    throw;
  }
  if (!file) return std::nullopt;
  auto text = file->read_prefix(kMaxReason);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) text.pop_back();
  return text;
}

void CoordDir::clear(const std::string& name) const {
  std::error_code ec;
  std::filesystem::remove(path(name), ec);
  if (ec)
    throw Error(ErrorKind::Io, "cannot remove stale signal " + dm::quoted(path(name).string()) + ": " + ec.message());
}

}  // namespace dm::sidecar
