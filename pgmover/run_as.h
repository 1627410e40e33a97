// Running PostgreSQL's programs as the unprivileged user that owns the cluster.
//
// PostgreSQL refuses root; when this process is root, children drop to `user` (groups, gid,
// uid) before exec. Children get a small clean environment (PATH, HOME, LC_ALL=C so output is
// parseable), stdin from `input` (or /dev/null), stdout and stderr captured together, umask
// 077. No shell is involved. A program that cannot be started (not executable, the user switch
// refused) is a dm::Error naming it. Thread-safe (common/util/process).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/util/process.h"

namespace dm::pgmover {

struct OsUser {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
};

// The user named `name`; InvalidArgument naming it when it does not exist.
OsUser lookup_user(const std::string& name);
// The user this process runs as.
OsUser current_user();
// `user` as a child process switches to it (with its supplementary groups).
process::Credentials credentials_of(const OsUser& user);

struct RunOutput {
  int exit_code = -1;  // 128 + signal when killed
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv[0] (an absolute path) with argv in `cwd` (default "/"). When this process is root
// and `as` is not root, the child switches to `as` first.
RunOutput run_program(const std::vector<std::string>& argv, const OsUser& as, const std::string& input = {},
                      const std::string& cwd = {});

// The last line of a program's output that says something, for one-line error messages.
std::string last_line(const std::string& output);

}  // namespace dm::pgmover
