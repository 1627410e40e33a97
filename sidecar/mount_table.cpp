#include "sidecar/mount_table.h"

#include <spdlog/spdlog.h>
#include <sys/mount.h>

#include "common/util/error.h"
#include "common/util/mount_table.h"
#include "sidecar/child_process.h"

namespace dm::sidecar {

std::optional<std::string> mounted_fs_type(const std::filesystem::path& mount_point) {
  auto mount = mount_at(mount_point);
  if (!mount) return std::nullopt;
  return std::move(mount->fs_type);
}

bool is_fuse_mounted(const std::filesystem::path& mount_point) {
  const auto type = mounted_fs_type(mount_point);
  return type && (*type == "fuse" || type->rfind("fuse.", 0) == 0);
}

bool force_unmount(const std::filesystem::path& mount_point) {
  if (!is_fuse_mounted(mount_point)) return true;
  spdlog::warn("mount '{}' left behind; detaching it", mount_point.string());
  if (::umount2(mount_point.c_str(), MNT_DETACH) != 0) {
    try {
      ChildProcess fusermount({"fusermount3", "-u", "-z", mount_point.string()}, {.label = "fusermount3"});
      fusermount.wait_exit(std::chrono::seconds(10));
    } catch (const Error& e) {
      spdlog::warn("{}", e.what());
    }
  }
  return !is_fuse_mounted(mount_point);
}

}  // namespace dm::sidecar
