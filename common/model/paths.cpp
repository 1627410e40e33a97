#include "common/model/paths.h"

#include "common/util/error.h"

namespace dm::model {

std::string context_path(std::string_view context) {
  return "contexts/" + std::string(context) + "/context.yaml";
}
std::string repo_path(std::string_view repo) {
  return "repos/" + std::string(repo) + "/repo.yaml";
}
std::string bundle_prefix(std::string_view repo) {
  return "bundles/" + std::string(repo) + "/";
}
std::string bundle_path(std::string_view repo, std::string_view id) {
  return bundle_prefix(repo) + std::string(id) + "/bundle.yaml";
}
std::string index_path(std::string_view repo, std::string_view id, uint64_t n) {
  return bundle_prefix(repo) + std::string(id) + "/bundle-files-" + std::to_string(n) + ".yaml";
}
std::string label_prefix(std::string_view repo) {
  return "labels/" + std::string(repo) + "/";
}
std::string label_path(std::string_view repo, std::string_view label) {
  return label_prefix(repo) + std::string(label) + "/label.yaml";
}

void validate_repo_name(std::string_view repo) {
  bool ok = !repo.empty();
  for (const char c : repo) {
    const auto u = static_cast<unsigned char>(c);
    if (!(u >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
      ok = false;
  }
  if (!ok) {
    throw Error(ErrorKind::InvalidArgument,
                "repo name " + quoted(repo) + " is invalid: use letters, digits and hyphens only");
  }
}

static void validate_simple_name(std::string_view kind, std::string_view name) {
  const bool bad = name.empty() || name == "." || name == ".." ||
                   name.find_first_of(std::string_view("/\n\r\0", 4)) != std::string_view::npos;
  if (bad) throw Error(ErrorKind::InvalidArgument, std::string(kind) + " name " + dm::quoted(name) + " is invalid");
}

void validate_bundle_id(std::string_view id) {
  bool bad = id.empty() || id == "." || id == ".." || id.find('/') != std::string_view::npos;
  for (const char c : id) bad = bad || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  if (bad) throw Error(ErrorKind::InvalidArgument, "bundle id " + dm::quoted(id) + " is invalid");
}

void validate_label_name(std::string_view label) {
  validate_simple_name("label", label);
}
void validate_context_name(std::string_view context) {
  validate_simple_name("context", context);
}

std::optional<std::string> safe_entry_name(std::string_view name) {
  if (!name.empty() && name.front() == '/') name.remove_prefix(1);
  if (name.empty() || name.find('\0') != std::string_view::npos) return std::nullopt;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    const auto part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return std::nullopt;
    start = end + 1;
  }
  return std::string(name);
}

}  // namespace dm::model
