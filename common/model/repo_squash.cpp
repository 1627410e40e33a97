#include "common/model/repo_squash.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <set>

#include "common/model/documents.h"
#include "common/model/paths.h"
#include "common/util/error.h"

namespace dm::model {

namespace {

bool all_of(std::string_view s, bool (*accept)(char)) {
  return std::all_of(s.begin(), s.end(), accept);
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_ident(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

// blang/semver's version number: digits only, no leading zero, within uint64.
bool is_version_number(std::string_view s) {
  if (s.empty() || !all_of(s, is_digit) || (s.size() > 1 && s[0] == '0')) return false;
  uint64_t value = 0;
  return std::from_chars(s.data(), s.data() + s.size(), value).ec == std::errc{};
}

std::vector<std::string_view> split(std::string_view s, char separator, size_t max_parts = SIZE_MAX) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    const auto at = s.find(separator);
    if (at == std::string_view::npos) break;
    parts.push_back(s.substr(0, at));
    s.remove_prefix(at + 1);
  }
  parts.push_back(s);
  return parts;
}

// blang/semver v3.5.1 Parse.
bool is_strict_semver(std::string_view s) {
  const auto parts = split(s, '.', 3);
  if (parts.size() != 3 || !is_version_number(parts[0]) || !is_version_number(parts[1])) return false;
  auto patch = parts[2];
  if (const auto plus = patch.find('+'); plus != std::string_view::npos) {
    for (const auto build : split(patch.substr(plus + 1), '.')) {
      if (build.empty() || !all_of(build, is_ident)) return false;
    }
    patch = patch.substr(0, plus);
  }
  if (const auto minus = patch.find('-'); minus != std::string_view::npos) {
    for (const auto pre : split(patch.substr(minus + 1), '.')) {
      if (pre.empty() || !all_of(pre, is_ident)) return false;
      if (all_of(pre, is_digit) && !is_version_number(pre)) return false;
    }
    patch = patch.substr(0, minus);
  }
  return is_version_number(patch);
}

void remove_label(Catalog& catalog, const std::string& repo, const LabelDescriptor& label) {
  try {
    catalog.vmetadata().remove(label_path(repo, label.name));
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound) return;  // removed meanwhile: the goal is reached
    throw Error(e.kind(), "cannot delete label " + dm::quoted(label.name) + " on bundle " + dm::quoted(label.id) +
                              " in repo " + dm::quoted(repo) + ": " + e.what());
  }
}

// bundle.yaml first, so that the bundle leaves every listing whole before its index files go.
void remove_bundle(Catalog& catalog, const std::string& repo, const std::string& bundle_id) {
  auto& metadata = catalog.metadata();
  try {
    metadata.remove(bundle_path(repo, bundle_id));
    std::vector<std::string> index_files;
    metadata.list(bundle_prefix(repo) + bundle_id + "/", "", [&](const store::ListEntry& e) {
      if (!e.is_prefix) index_files.push_back(e.name);
    });
    for (const auto& name : index_files) metadata.remove(name);
  } catch (const Error& e) {
    throw Error(e.kind(),
                "cannot delete bundle " + dm::quoted(bundle_id) + " in repo " + dm::quoted(repo) + ": " + e.what());
  }
}

// The ids that a label keeps under `options` (none when no retain flag is given).
std::set<std::string> labelled_to_keep(Catalog& catalog, const std::string& repo, const SquashOptions& options) {
  std::set<std::string> keep;
  if (!options.retain_tags && !options.retain_semver_tags) return keep;
  for (const auto& label : catalog.list_labels(repo)) {
    if (options.retain_tags || is_tolerant_semver(label.name)) keep.insert(label.id);
  }
  return keep;
}

// Go's final sweep: labels left pointing at no bundle go. Labels are listed before bundles: a
// label is written after its bundle's bundle.yaml, so a bundle committed while this runs is in
// the bundle listing whenever its label is in the label listing.
void remove_dangling_labels(Catalog& catalog, const std::string& repo) {
  const auto labels = catalog.list_labels(repo);
  std::set<std::string> present;
  for (const auto& b : catalog.list_bundles(repo)) present.insert(b.id);
  for (const auto& label : labels) {
    if (present.count(label.id) == 0) remove_label(catalog, repo, label);
  }
}

}  // namespace

bool is_tolerant_semver(std::string_view name) {
  constexpr std::string_view kSpace = " \t\n\v\f\r";
  const auto first = name.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return false;
  name = name.substr(first, name.find_last_not_of(kSpace) - first + 1);
  if (name.starts_with('v')) name.remove_prefix(1);
  auto parts = split(name, '.', 3);
  if (parts.size() == 3) return is_strict_semver(name);
  // A short version is padded with zeros, and may carry no pre-release or build part.
  if (parts.back().find_first_of("+-") != std::string_view::npos) return false;
  std::string padded(name);
  for (auto n = parts.size(); n < 3; ++n) padded += ".0";
  return is_strict_semver(padded);
}

std::vector<std::string> squash_repo(Catalog& catalog, const std::string& repo, const SquashOptions& options) {
  validate_repo_name(repo);
  if (options.retain_n_latest < 0) {
    throw Error(ErrorKind::InvalidArgument,
                "--retain-n-latest must not be negative, got " + std::to_string(options.retain_n_latest));
  }
  catalog.require_repo(repo);
  const auto retain = static_cast<size_t>(std::max(options.retain_n_latest, 1));
  const auto bundles = catalog.list_bundles(repo);  // oldest first: ksuids order by time
  if (bundles.size() <= retain) return {};          // nothing to squash, labels untouched (as Go)

  const auto labelled = labelled_to_keep(catalog, repo, options);
  std::vector<std::string> dropped;
  for (size_t i = 0; i + retain < bundles.size(); ++i) {
    if (labelled.count(bundles[i].id) == 0) dropped.push_back(bundles[i].id);
  }
  const std::set<std::string> dropping(dropped.begin(), dropped.end());
  for (const auto& label : catalog.list_labels(repo)) {
    if (dropping.count(label.id) != 0) remove_label(catalog, repo, label);
  }
  for (const auto& id : dropped) remove_bundle(catalog, repo, id);
  remove_dangling_labels(catalog, repo);
  return dropped;
}

}  // namespace dm::model
