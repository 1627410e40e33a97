// Ownership: the one way pgmover gives what it writes in a data directory to the cluster's OS
// user, and sets its permission bits.
//
// PostgreSQL refuses a data directory that is not its user's. When this process is root, each
// path is given to that user with lchown (a symlink itself, never what it points to); as any
// other user nothing changes hands, since what we write is already ours. Nothing is changed
// that is already right. Errors are dm::Error naming the user and the path.
#pragma once

#include <filesystem>

#include "pgmover/run_as.h"

namespace dm::pgmover {

// Gives `path` (not followed when a symlink) to `owner` when we are root and it is not theirs.
void give_to(const std::filesystem::path& path, const OsUser& owner);

// Sets the permission bits of `path` to `mode` and gives it to `owner`; a `path` that is a
// symlink (what we wrote, replaced since) is an Io error, its target left alone.
void set_mode_and_owner(const std::filesystem::path& path, unsigned mode, const OsUser& owner);

}  // namespace dm::pgmover
