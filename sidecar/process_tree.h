// Keeping the application's process tree from outliving the run: what `datamon wrap` uses so
// that no process of the app survives it, whether the app exits, leaves background children,
// or the wrapper itself is SIGKILLed.
//
// become_subreaper: orphans of our descendants (a daemon that double-forked and left the app's
// process group) are re-parented to us instead of init, so kill_children can find them.
// kill_children: SIGKILLs and reaps every child of ours (but `spare`), round after round, until
// none is left (each kill may orphan grandchildren to us). GroupGuard: a small guard process
// that outlives us; when we die, even by SIGKILL, it SIGTERMs the group, waits `grace`, then
// SIGKILLs it. Disarm it once the group is gone, so that it never signals a reused group id.
// Errors are dm::Error. Not copyable.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <vector>

#include "common/util/process.h"
#include "common/util/unique_fd.h"

namespace dm::sidecar {

// The processes whose parent is `parent`, and all of `root`'s descendants (not `root`), as
// /proc lists them now.
std::vector<pid_t> children_of(pid_t parent);
std::vector<pid_t> descendants_of(pid_t root);

void become_subreaper();

// Returns how many processes were killed.
size_t kill_children(pid_t spare = -1);

class GroupGuard {
 public:
  GroupGuard(pid_t group, std::chrono::milliseconds grace);
  ~GroupGuard();  // disarms
  GroupGuard(const GroupGuard&) = delete;
  GroupGuard& operator=(const GroupGuard&) = delete;

  pid_t pid() const { return guard_.pid(); }
  // Stops the guard without it touching the group, and reaps it.
  void disarm();

 private:
  process::Child guard_;
  UniqueFd alive_;  // write end of the pipe the guard watches; closed by our death
};

}  // namespace dm::sidecar
