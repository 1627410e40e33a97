// `datamon sidecar fuse|pg` and `datamon wrap`: owned by sidecar (issue 5).
#include "bin/cli.h"

namespace dm::cli {

void add_sidecar_commands(CLI::App& app, GlobalOptions& global) {
  (void)app;
  (void)global;
}

}  // namespace dm::cli
