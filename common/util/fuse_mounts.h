// FUSE mounts as the kernel's mount table shows them (common/util/mount_table.h), and the one
// way of detaching a mount that its server left behind: the mount command does it to a stale
// mount point before mounting, the fuse sidecar to its mounts at the end, the tests in teardown.
// Errors are dm::Error naming the mount point. Thread-safe (no state).
#pragma once

#include <filesystem>

namespace dm {

// A FUSE file system ("fuse", "fuse.<subtype>") is the top mount exactly at `mount_point`
// (found in the mount table: nothing at the path is touched, so a dead mount does not hang us).
bool is_fuse_mounted(const std::filesystem::path& mount_point);

// statfs(2) of `path` answers with FUSE's magic number: a live FUSE file system serves it (one
// whose server died fails statfs with ENOTCONN; a bare folder answers with its own file system's).
bool statfs_says_fuse(const std::filesystem::path& path);

// Detaches the mount at `mount_point` lazily (MNT_DETACH: it leaves the name space now, files
// open in it stay usable until closed): umount2 when we may (root), else fusermount3 -u -z, the
// setuid helper that lets a user detach their own FUSE mounts. Throws an Io error naming the
// mount point when neither could.
void detach_mount(const std::filesystem::path& mount_point);

// Detaches the FUSE mount at `mount_point`, if there is one (its server died, or was killed, or
// did not unmount in time). Returns false when a FUSE mount is still there afterwards; never
// throws (a failure is logged).
bool detach_fuse_mount_if_any(const std::filesystem::path& mount_point);

}  // namespace dm
