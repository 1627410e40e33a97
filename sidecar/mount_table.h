// What the kernel has mounted where (common/util/mount_table.h), for the fuse sidecar: a source
// is ready when its mount point shows a FUSE file system, and none may be left at the end.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace dm::sidecar {

// The file system type mounted exactly at `mount_point` (the last mount there), if any.
std::optional<std::string> mounted_fs_type(const std::filesystem::path& mount_point);

bool is_fuse_mounted(const std::filesystem::path& mount_point);

// Detaches a FUSE mount that its server left behind (umount2 MNT_DETACH as root, else
// fusermount3 -u -z). Returns false if it is still mounted afterwards.
bool force_unmount(const std::filesystem::path& mount_point);

}  // namespace dm::sidecar
