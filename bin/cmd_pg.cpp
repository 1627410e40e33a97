// `datamon pg ...`: owned by pgmover (issue 9).
#include "bin/cli.h"

namespace dm::cli {

void add_pg_commands(CLI::App& app, GlobalOptions& global) {
  (void)app;
  (void)global;
}

}  // namespace dm::cli
