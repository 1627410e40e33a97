// The datamon YAML documents (format spec §2): context, repo, bundle, file index, label.
//
// to_yaml writes what gopkg.in/yaml.v2 writes for the Go structs: the same keys in the same
// order, omitempty fields dropped when zero, RFC3339Nano times, yaml.v2 quoting. The parsers
// are lenient as Go's are (unknown keys ignored, missing keys zero) but strict about types; a
// document that does not parse is a Corrupt error naming `what` (the object it came from).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/model/timestamp.h"

namespace dm::model {

struct Contributor {
  std::string name;
  std::string email;
  friend bool operator==(const Contributor&, const Contributor&) = default;
};

struct ContextDescriptor {
  std::string name;
  std::string wal;
  std::string readlog;
  std::string blob;
  std::string metadata;
  std::string vmetadata;
  uint64_t version = 0;
  friend bool operator==(const ContextDescriptor&, const ContextDescriptor&) = default;
};

struct RepoDescriptor {
  std::string name;
  std::string description;
  std::optional<Timestamp> timestamp;
  Contributor contributor;
  friend bool operator==(const RepoDescriptor&, const RepoDescriptor&) = default;
};

constexpr uint64_t kCurrentBundleVersion = 2;

struct BundleDescriptor {
  uint32_t leaf_size = 0;
  std::string id;
  std::string message;
  std::vector<std::string> parents;
  std::optional<Timestamp> timestamp;
  std::vector<Contributor> contributors;
  uint64_t count = 0;
  uint64_t version = 0;
  std::string deduplication;
  std::string runstage;
  friend bool operator==(const BundleDescriptor&, const BundleDescriptor&) = default;
};

struct BundleEntry {
  std::string hash;   // root key, 128 hex
  std::string name;   // '/'-separated path relative to the bundle root
  uint32_t mode = 0;  // Go os.FileMode bits (permission bits for regular files)
  uint64_t size = 0;
  std::optional<Timestamp> timestamp;
  friend bool operator==(const BundleEntry&, const BundleEntry&) = default;
};

// The bits a mode read from a bundle (an index entry, pgmover's layout manifest) may set on what
// we write: permission bits only. A bundle is untrusted and downloads and restores run as root,
// so a set-user-ID, set-group-ID or sticky bit from it is never applied.
constexpr unsigned permission_bits(uint32_t mode) {
  return mode & 0777;
}

struct LabelDescriptor {
  std::string name;
  std::string id;
  std::optional<Timestamp> timestamp;
  std::vector<Contributor> contributors;
  friend bool operator==(const LabelDescriptor&, const LabelDescriptor&) = default;
};

std::string to_yaml(const ContextDescriptor& d);
std::string to_yaml(const RepoDescriptor& d);
std::string to_yaml(const BundleDescriptor& d);
std::string to_yaml(const std::vector<BundleEntry>& entries);  // a bundle-files-N.yaml document
std::string to_yaml(const LabelDescriptor& d);

ContextDescriptor parse_context(std::string_view yaml, const std::string& what);
RepoDescriptor parse_repo(std::string_view yaml, const std::string& what);
BundleDescriptor parse_bundle(std::string_view yaml, const std::string& what);
std::vector<BundleEntry> parse_bundle_entries(std::string_view yaml, const std::string& what);
LabelDescriptor parse_label(std::string_view yaml, const std::string& what);

}  // namespace dm::model
