#include "common/transfer/source_tree.h"

#include <sys/stat.h>

#include <algorithm>

#include "common/util/error.h"

namespace fs = std::filesystem;

namespace dm::transfer {

namespace {

// Go's IsGeneratedFile: only these top-level folders (and files of these names) are skipped.
bool is_generated(const std::string& rel) {
  for (const char* top : {".datamon", ".conflicts", ".checkpoints"}) {
    const std::string t = top;
    if (rel == t || rel.rfind(t + "/", 0) == 0) return true;
  }
  return false;
}

}  // namespace

std::vector<SourceFile> scan_tree(const fs::path& root) {
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0) throw_errno("cannot read upload folder", root.string());
  if (!S_ISDIR(st.st_mode))
    throw Error(ErrorKind::InvalidArgument, "upload path '" + root.string() + "' is not a folder");
  std::vector<SourceFile> files;
  std::error_code ec;
  auto it = fs::recursive_directory_iterator(root, fs::directory_options::none, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot read folder '" + root.string() + "': " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const auto& path = it->path();
    const auto rel = path.lexically_relative(root).generic_string();
    if (is_generated(rel)) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    struct stat lst {};
    if (::lstat(path.c_str(), &lst) != 0) throw_errno("cannot stat", path.string());
    if (S_ISDIR(lst.st_mode)) continue;
    if (S_ISLNK(lst.st_mode)) {
      struct stat target {};
      if (::stat(path.c_str(), &target) != 0) {
        throw Error(ErrorKind::InvalidArgument, "symlink '" + path.string() + "' is dangling");
      }
      if (!S_ISREG(target.st_mode)) {
        throw Error(ErrorKind::InvalidArgument,
                    "symlink '" + path.string() + "' points to a folder or special file; datamon stores files only");
      }
      lst = target;
    } else if (!S_ISREG(lst.st_mode)) {
      throw Error(ErrorKind::InvalidArgument, "'" + path.string() + "' is a special file (FIFO, socket or device)");
    }
    if (rel.find('\n') != std::string::npos) {
      throw Error(ErrorKind::InvalidArgument, "file name '" + path.string() + "' contains a line break");
    }
    files.push_back(
        SourceFile{rel, path, static_cast<uint32_t>(lst.st_mode & 07777), static_cast<uint64_t>(lst.st_size)});
  }
  if (ec) throw Error(ErrorKind::Io, "cannot read folder under '" + root.string() + "': " + ec.message());
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return files;
}

}  // namespace dm::transfer
