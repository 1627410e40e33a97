#include "pgmover/layout_manifest.h"

#include <nlohmann/json.hpp>
#include <set>

#include "common/model/paths.h"
#include "common/util/error.h"

namespace dm::pgmover {

namespace {

// A path of the manifest names something inside PGDATA: relative, '/'-separated, no empty,
// "." or ".." component, no NUL. The manifest comes from a bundle: it is untrusted.
std::string confined(std::string path, bool may_be_root, const std::string& kind, const std::string& what) {
  if (path.empty() && may_be_root) return path;
  if (path.empty() || path.front() == '/' || !model::safe_entry_name(path)) {
    throw Error(ErrorKind::Corrupt, "layout manifest of " + what + " has a " + kind + " path " + dm::quoted(path) +
                                        " outside the data directory");
  }
  return path;
}

}  // namespace

std::string to_json(const LayoutManifest& m) {
  nlohmann::ordered_json j;
  j["format"] = m.format;
  j["pg_version"] = m.pg_version;
  j["parent"] = m.parent;
  j["control"] = m.control;
  auto& dirs = j["directories"] = nlohmann::ordered_json::array();
  for (const auto& d : m.directories) dirs.push_back({{"path", d.path}, {"mode", d.mode}});
  auto& links = j["symlinks"] = nlohmann::ordered_json::array();
  for (const auto& s : m.symlinks) links.push_back({{"path", s.path}, {"target", s.target}});
  j["omitted_wal"] = m.omitted_wal;
  return j.dump(1) + "\n";
}

LayoutManifest parse_layout(const std::string& json, const std::string& what) {
  try {
    const auto j = nlohmann::json::parse(json);
    LayoutManifest m;
    m.format = j.at("format").get<int>();
    if (m.format != kLayoutFormat) {
      throw Error(ErrorKind::Corrupt, "layout manifest of " + what + " has unknown format " + std::to_string(m.format));
    }
    m.pg_version = j.at("pg_version").get<std::string>();
    m.parent = j.value("parent", std::string());
    if (j.contains("control")) m.control = j.at("control").get<std::map<std::string, std::string>>();
    for (const auto& d : j.at("directories")) {
      const auto mode = d.at("mode").get<uint32_t>();
      if (mode & ~07777U) {
        throw Error(ErrorKind::Corrupt,
                    "layout manifest of " + what + " has a directory mode that is not permission bits");
      }
      m.directories.push_back({confined(d.at("path").get<std::string>(), true, "directory", what), mode});
    }
    for (const auto& s : j.at("symlinks")) {
      auto target = s.at("target").get<std::string>();
      if (target.empty() || target.find('\0') != std::string::npos) {
        throw Error(ErrorKind::Corrupt, "layout manifest of " + what + " has an empty or NUL symlink target");
      }
      m.symlinks.push_back({confined(s.at("path").get<std::string>(), false, "symlink", what), std::move(target)});
    }
    if (j.contains("omitted_wal")) m.omitted_wal = j.at("omitted_wal").get<std::vector<std::string>>();
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Corrupt, "layout manifest of " + what + " does not parse: " + e.what());
  }
}

LayoutManifest go_sidecar_layout(const std::vector<std::string>& files, int major) {
  // What initdb creates empty (src/bin/initdb/initdb.c subdirs), which a bundle cannot carry.
  std::set<std::string> dirs = {"",
                                "base",
                                "global",
                                "pg_commit_ts",
                                "pg_dynshmem",
                                "pg_logical",
                                "pg_logical/mappings",
                                "pg_logical/snapshots",
                                "pg_multixact",
                                "pg_multixact/members",
                                "pg_multixact/offsets",
                                "pg_notify",
                                "pg_replslot",
                                "pg_serial",
                                "pg_snapshots",
                                "pg_stat",
                                "pg_stat_tmp",
                                "pg_subtrans",
                                "pg_tblspc",
                                "pg_twophase",
                                "pg_wal",
                                "pg_wal/archive_status",
                                "pg_xact"};
  if (major >= 17) dirs.insert("pg_wal/summaries");
  for (const auto& f : files) {
    for (auto slash = f.find('/'); slash != std::string::npos; slash = f.find('/', slash + 1)) {
      dirs.insert(f.substr(0, slash));
    }
  }
  LayoutManifest layout;
  layout.pg_version = std::to_string(major);
  for (const auto& d : dirs) layout.directories.push_back({d, 0700});  // sorted: parents first
  return layout;
}

}  // namespace dm::pgmover
