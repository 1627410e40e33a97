// How the CLI prints: each command's Go default template, the --format flag that replaces it,
// and Go's exit codes (ENOENT = 2 for "didn't find ..." on get commands).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "common/template/template.h"
#include "common/template/value.h"

namespace dm::cli {

// A failure with Go's exit code: main() prints the message on stderr and exits with `code`.
struct ExitStatus {
  int code;
  std::string message;
};
constexpr int kExitFailure = 1;   // Go's log.Fatal, where Go exits so whatever the ErrorKind
constexpr int kExitNotFound = 2;  // unix.ENOENT, what Go's get commands exit with
[[noreturn]] void exit_not_found(const std::string& what, const std::string& name);  // didn't find <what> "<name>"

// Adds Go's --format flag (text/template) to `cmd`, filling `target`.
void add_format_flag(CLI::App& cmd, std::string& target);

// The template a command prints with: `user` (its --format) when given, else `go_default`.
// A --format that does not parse is an InvalidArgument naming the template and position.
tmpl::Template output_template(const std::string& user, const std::string& name, const std::string& go_default);

// Go's log.Println of the rendered template: the text then one newline.
void print_line(const tmpl::Template& t, const tmpl::Value& v);

}  // namespace dm::cli
