// The kernel's mount table as this process sees it (/proc/self/mountinfo, proc(5)), parsed in
// one place: the sidecar waits for a FUSE mount with it and the mount server finds its own
// backing device in it. Fields are decoded as the kernel escapes them (space, tab, newline and
// backslash as \ooo), so a mount point with a space in its name is found. Reading the file can
// fail only as an Io error naming it; a line that does not parse is skipped. Thread-safe (no
// state).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dm {

struct MountEntry {
  std::string device;                 // "major:minor" of the mounted file system
  std::filesystem::path mount_point;  // decoded, as the kernel names it
  std::string fs_type;                // "ext4", "fuse.datamon", ...
  std::string source;                 // what is mounted: a device, "tmpfs", a FUSE fsname
  std::string super_options;          // options of the file system ("ro,user_id=0,...")
};

// The entries of mountinfo text, in its order (later mounts last); malformed lines are skipped.
std::vector<MountEntry> parse_mount_table(std::string_view text);

// The entries of /proc/self/mountinfo.
std::vector<MountEntry> read_mount_table();

// The top (last) mount exactly at `mount_point` (made absolute and normal as a string; symlinks
// are not resolved, and nothing at the path is touched), if any.
std::optional<MountEntry> mount_at(const std::filesystem::path& mount_point);

}  // namespace dm
