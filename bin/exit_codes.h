// The exit codes of datamon: one table that maps each dm::ErrorKind to its own code. main()
// exits with it, `datamon --help` prints it and the README copies it, so a script can tell a
// missing bundle from a broken store.
//
// Where Go's datamon fixed a code, it is kept: 1 for bad input (Go's log.Fatal) and 2 (ENOENT)
// for "didn't find ..." on the get commands. A failure that is no dm::Error (a bug in a
// library, a command-line parse error) keeps exiting as before: 1, or CLI11's own code.
#pragma once

#include <array>
#include <string>

#include "common/util/error.h"

namespace dm::cli {

struct ExitCode {
  ErrorKind kind;
  int code;
  const char* meaning;  // one line for --help and the README
};

inline constexpr std::array kExitCodes{
    ExitCode{ErrorKind::InvalidArgument, 1, "bad input: a flag, a config file, a template (as Go)"},
    ExitCode{ErrorKind::NotFound, 2, "not found: repo, bundle, label, context, file or object (ENOENT, as Go)"},
    ExitCode{ErrorKind::AlreadyExists, 3, "already exists: the repo, context or object is there"},
    ExitCode{ErrorKind::Corrupt, 4, "corrupt: stored bytes or a document fail their check"},
    ExitCode{ErrorKind::Io, 5, "local i/o error: a file or folder of this machine"},
    ExitCode{ErrorKind::Unavailable, 6, "unavailable: a store did not answer within the retry budget"},
    ExitCode{ErrorKind::PermissionDenied, 7, "permission denied: credentials or file permissions"},
    ExitCode{ErrorKind::Internal, 8, "internal error: a bug in datamon"},
    ExitCode{ErrorKind::Interrupted, 130, "interrupted by SIGINT or SIGTERM; nothing half-written was published"},
};

// The code for `kind`; 1 for a kind missing from the table (a test checks none is missing).
constexpr int exit_code(ErrorKind kind) {
  for (const auto& e : kExitCodes) {
    if (e.kind == kind) return e.code;
  }
  return 1;
}

// The table as --help prints it: "Exit codes:" then "  <code>  <meaning>" lines.
inline std::string exit_codes_help() {
  std::string text = "Exit codes:\n  0    success\n";
  for (const auto& e : kExitCodes) {
    std::string code = std::to_string(e.code);
    code.resize(5, ' ');
    text += "  ";
    text += code;
    text += e.meaning;
    text += '\n';
  }
  return text;
}

}  // namespace dm::cli
