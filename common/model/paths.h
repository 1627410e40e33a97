// Object names of the datamon layout (format spec §1.3) and the checks on the names users give.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dm::model {

std::string context_path(std::string_view context);
std::string repo_path(std::string_view repo);
std::string bundle_prefix(std::string_view repo);  // "bundles/{repo}/"
std::string bundle_path(std::string_view repo, std::string_view bundle_id);
std::string index_path(std::string_view repo, std::string_view bundle_id, uint64_t n);
std::string label_prefix(std::string_view repo);  // "labels/{repo}/"
std::string label_path(std::string_view repo, std::string_view label);

// Repo names: Unicode letters, digits and hyphens (Go's model.ValidateRepo); non-ASCII UTF-8
// bytes are accepted as letters. Throws InvalidArgument naming the repo.
void validate_repo_name(std::string_view repo);
// Label and context names: non-empty, no '/', no NUL, no line breaks, not "." or "..".
void validate_label_name(std::string_view label);
void validate_context_name(std::string_view context);
// Bundle ids (a flag, or read from a label or a listing): non-empty, no '/', no control
// character, not "." or "..", so an id can name an object key and a local file safely.
void validate_bundle_id(std::string_view id);

// Decision 5: strips one leading '/', then rejects an empty name, a NUL, an empty, "." or ".."
// component. Returns the clean relative name or nullopt.
std::optional<std::string> safe_entry_name(std::string_view name);

}  // namespace dm::model
