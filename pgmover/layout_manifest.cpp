#include "pgmover/layout_manifest.h"

#include <nlohmann/json.hpp>

#include "common/util/error.h"

namespace dm::pgmover {

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
      m.directories.push_back({d.at("path").get<std::string>(), d.at("mode").get<uint32_t>()});
    }
    for (const auto& s : j.at("symlinks")) {
      m.symlinks.push_back({s.at("path").get<std::string>(), s.at("target").get<std::string>()});
    }
    if (j.contains("omitted_wal")) m.omitted_wal = j.at("omitted_wal").get<std::vector<std::string>>();
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Corrupt, "layout manifest of " + what + " does not parse: " + e.what());
  }
}

}  // namespace dm::pgmover
