#include "common/util/error.h"

#include <cerrno>
#include <cstring>

namespace dm {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::NotFound:
      return "not found";
    case ErrorKind::AlreadyExists:
      return "already exists";
    case ErrorKind::Corrupt:
      return "corrupt";
    case ErrorKind::InvalidArgument:
      return "invalid argument";
    case ErrorKind::Io:
      return "i/o error";
    case ErrorKind::Unavailable:
      return "unavailable";
    case ErrorKind::PermissionDenied:
      return "permission denied";
    case ErrorKind::Internal:
      return "internal error";
    case ErrorKind::Interrupted:
      return "interrupted";
  }
  return "error";
}

std::string quoted(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out += '\'';
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

void throw_errno(int err, const std::string& what, const std::string& path) {
  ErrorKind kind = ErrorKind::Io;
  if (err == ENOENT) kind = ErrorKind::NotFound;
  if (err == EEXIST) kind = ErrorKind::AlreadyExists;
  if (err == EACCES || err == EPERM) kind = ErrorKind::PermissionDenied;
  throw Error(kind, what + " " + dm::quoted(path) + ": " + std::strerror(err));
}

void throw_errno(const std::string& what, const std::string& path) {
  throw_errno(errno, what, path);
}

}  // namespace dm
