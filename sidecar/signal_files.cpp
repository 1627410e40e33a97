#include "sidecar/signal_files.h"

#include <sys/stat.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "common/util/error.h"
#include "common/util/files.h"

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
}  // namespace signals

void CoordDir::ensure(const std::string& sub) const {
  const auto dir = sub.empty() ? root_ : root_ / sub;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create coordination folder '" + dir.string() + "': " + ec.message());
}

void CoordDir::raise(const std::string& name, const std::string& reason) const {
  const auto target = path(name);
  std::error_code ec;
  std::filesystem::create_directories(target.parent_path(), ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create folder for signal '" + target.string() + "': " + ec.message());
  std::string line = reason;
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (!line.empty()) line += "\n";
  write_file_atomic(target, line, 0644, AtomicWrite::Replace);
}

bool CoordDir::is_raised(const std::string& name) const {
  std::error_code ec;
  return std::filesystem::exists(path(name), ec);
}

std::optional<timespec> CoordDir::raised_at(const std::string& name) const {
  struct stat st {};
  if (::stat(path(name).c_str(), &st) != 0) return std::nullopt;
  return st.st_mtim;
}

std::optional<std::string> CoordDir::reason(const std::string& name) const {
  std::ifstream in(path(name), std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto text = buffer.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) text.pop_back();
  return text;
}

void CoordDir::clear(const std::string& name) const {
  std::error_code ec;
  std::filesystem::remove(path(name), ec);
  if (ec) throw Error(ErrorKind::Io, "cannot remove stale signal '" + path(name).string() + "': " + ec.message());
}

}  // namespace dm::sidecar
