// The one error type of the project.
//
// Every failure that reaches a user is a dm::Error: a kind (what went wrong, so callers can
// react, e.g. NotFound → "no such bundle") and a one-line message that names the thing at
// fault (object, file, bundle, key). Messages never contain secrets.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace dm {

enum class ErrorKind {
  NotFound,          // object, file, repo, bundle or label does not exist
  AlreadyExists,     // a NoOverwrite write found the object present
  Corrupt,           // bytes do not match their hash, or a document does not parse
  InvalidArgument,   // bad input from the user or a config file
  Io,                // local file system failure
  Unavailable,       // a remote store did not answer well enough, retries exhausted
  PermissionDenied,  // credentials rejected, or file permissions
  Internal,          // a bug
  Interrupted,       // SIGINT or SIGTERM stopped a long operation before it finished
};

const char* to_string(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// A name as error messages show it: in single quotes, with control characters and bytes that
// are not printable ASCII-range controls escaped as \xNN, so a hostile name (from a store, a
// bundle or a folder) cannot rewrite the user's terminal.
std::string quoted(std::string_view name);

// Throws an Io error for the current errno: "<what> '<path>': <strerror>".
[[noreturn]] void throw_errno(const std::string& what, const std::string& path);
[[noreturn]] void throw_errno(int err, const std::string& what, const std::string& path);

}  // namespace dm
