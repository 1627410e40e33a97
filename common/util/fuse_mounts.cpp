#include "common/util/fuse_mounts.h"

#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/vfs.h>

#include <chrono>

#include "common/util/error.h"
#include "common/util/mount_table.h"
#include "common/util/process.h"

namespace dm {

namespace {

// fusermount3 never waits on the dead server; still, a hung helper must not hang us.
constexpr std::chrono::seconds kHelperLimit{10};
// FUSE_SUPER_MAGIC of linux/magic.h.
constexpr decltype(statfs::f_type) kFuseSuperMagic = 0x65735546;

}  // namespace

bool is_fuse_mounted(const std::filesystem::path& mount_point) {
  const auto mount = mount_at(mount_point);
  return mount && (mount->fs_type == "fuse" || mount->fs_type.starts_with("fuse."));
}

bool statfs_says_fuse(const std::filesystem::path& path) {
  struct statfs st {};
  return ::statfs(path.c_str(), &st) == 0 && st.f_type == kFuseSuperMagic;
}

void detach_mount(const std::filesystem::path& mount_point) {
  if (::umount2(mount_point.c_str(), MNT_DETACH) == 0) return;
  // Not root: the setuid helper may detach mounts of our own user.
  try {
    process::SpawnOptions options;
    options.in = process::Stream::null();
    options.out = process::Stream::null();
    auto helper = process::spawn({"fusermount3", "-u", "-z", mount_point.string()}, options);
    const auto status = helper.wait_for(kHelperLimit);
    if (status && status->success()) return;
    spdlog::warn("{}", status ? process::describe_exit("fusermount3", *status) : "fusermount3 did not finish in time");
  } catch (const Error& e) {
    spdlog::warn("{}", e.what());
  }
  throw Error(ErrorKind::Io, "cannot detach the mount on " + dm::quoted(mount_point.string()));
}

bool detach_fuse_mount_if_any(const std::filesystem::path& mount_point) {
  if (!is_fuse_mounted(mount_point)) return true;
  spdlog::warn("mount {} left behind; detaching it", dm::quoted(mount_point.string()));
  try {
    detach_mount(mount_point);
  } catch (const Error& e) {
    spdlog::warn("{}", e.what());
  }
  return !is_fuse_mounted(mount_point);
}

}  // namespace dm
