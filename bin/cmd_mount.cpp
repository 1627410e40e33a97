// `datamon bundle mount`: owned by fusefs (issue 4).
#include "bin/cli.h"

namespace dm::cli {

void add_mount_command(CLI::App& bundle, GlobalOptions& global) {
  (void)bundle;
  (void)global;
}

}  // namespace dm::cli
