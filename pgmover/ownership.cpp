#include "pgmover/ownership.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/error.h"

namespace dm::pgmover {

namespace {

void give_if_other(const std::filesystem::path& path, const struct stat& st, const OsUser& owner) {
  if (::geteuid() != 0 || (st.st_uid == owner.uid && st.st_gid == owner.gid)) return;
  if (::lchown(path.c_str(), owner.uid, owner.gid) != 0) {
    throw_errno("cannot give to user " + dm::quoted(owner.name), path.string());
  }
}

}  // namespace

void give_to(const std::filesystem::path& path, const OsUser& owner) {
  if (::geteuid() != 0) return;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) throw_errno("cannot stat", path.string());
  give_if_other(path, st, owner);
}

void set_mode_and_owner(const std::filesystem::path& path, unsigned mode, const OsUser& owner) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) throw_errno("cannot stat", path.string());
  // What we wrote there may have been replaced since: a symlink is never chmod-ed through.
  if (S_ISLNK(st.st_mode))
    throw Error(ErrorKind::Io, "cannot chmod " + dm::quoted(path.string()) + ": it is a symlink");
  if ((st.st_mode & 07777) != mode && ::fchmodat(AT_FDCWD, path.c_str(), mode, AT_SYMLINK_NOFOLLOW) != 0)
    throw_errno("cannot chmod", path.string());
  give_if_other(path, st, owner);
}

}  // namespace dm::pgmover
