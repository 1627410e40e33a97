#include "sidecar/legacy_params.h"

#include <yaml-cpp/yaml.h>

#include <cctype>

#include "common/util/error.h"
#include "sidecar/duration.h"

namespace dm::sidecar {

namespace {

Error bad_legacy_param(const std::string& origin, const std::string& what) {
  return Error(ErrorKind::InvalidArgument, "sidecar config " + origin + ": " + what);
}

void flatten(const YAML::Node& node, const std::string& prefix, const std::string& origin,
             std::map<std::string, std::string>& values,
             std::map<std::string, std::vector<LegacyParams::ListItem>>& lists) {
  if (node.IsScalar()) {
    values[prefix] = node.Scalar();
    return;
  }
  if (node.IsNull()) return;
  if (node.IsMap()) {
    for (const auto& kv : node) {
      // A key that is itself a list or mapping (`? [a]: b`) has no name to look up.
      if (!kv.first.IsScalar()) {
        throw bad_legacy_param(origin, "a key under '" + (prefix.empty() ? std::string("the top level") : prefix) +
                                           "' is not a plain name (line " + std::to_string(kv.first.Mark().line + 1) +
                                           ")");
      }
      const auto key = LegacyParams::key_part(kv.first.Scalar());
      flatten(kv.second, prefix.empty() ? key : prefix + "_" + key, origin, values, lists);
    }
    return;
  }
  if (node.IsSequence()) {
    auto& names = lists[prefix];
    size_t index = 0;
    for (const auto& item : node) {
      if (!item.IsMap()) throw bad_legacy_param(origin, "items of '" + prefix + "' must be mappings");
      std::string name = item["name"] && item["name"].IsScalar() ? item["name"].Scalar() : "";
      if (name.empty()) name = "item" + std::to_string(index);
      const auto part = LegacyParams::key_part(name);
      for (const auto& known : names) {
        if (known.key == part) throw bad_legacy_param(origin, "two items of '" + prefix + "' are named '" + name + "'");
      }
      names.push_back({part, name});
      flatten(item, prefix + "_" + part, origin, values, lists);
      ++index;
    }
  }
}

}  // namespace

std::string LegacyParams::key_part(const std::string& name) {
  std::string out;
  for (char c : name) {
    out.push_back(std::isalnum(static_cast<unsigned char>(c))
                      ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                      : '_');
  }
  return out;
}

LegacyParams LegacyParams::parse(const std::string& text, const std::string& origin) {
  LegacyParams params;
  params.origin_ = origin;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw bad_legacy_param(origin, "not valid YAML: " + e.msg + " (line " + std::to_string(e.mark.line + 1) + ")");
  }
  if (!root.IsNull() && !root.IsMap()) throw bad_legacy_param(origin, "the top level must be a mapping");
  flatten(root, "", origin, params.values_, params.lists_);
  return params;
}

void LegacyParams::apply_env(const std::vector<std::string>& keys, const config::EnvLookup& env) {
  for (const auto& key : keys) {
    if (auto v = env("SIDECAR_" + key)) values_[key] = *v;
  }
}

std::optional<std::string> LegacyParams::get(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::string LegacyParams::get_or(const std::string& key, const std::string& fallback) const {
  return get(key).value_or(fallback);
}

bool LegacyParams::get_bool(const std::string& key, bool fallback) const {
  const auto v = get(key);
  if (!v) return fallback;
  if (*v == "true" || *v == "True" || *v == "yes" || *v == "1") return true;
  if (*v == "false" || *v == "False" || *v == "no" || *v == "0") return false;
  throw bad_legacy_param(origin_, "'" + key + "' must be true or false, not '" + *v + "'");
}

std::chrono::milliseconds LegacyParams::get_duration(const std::string& key, std::chrono::milliseconds fallback) const {
  const auto v = get(key);
  if (!v) return fallback;
  return parse_duration(*v, "sidecar config " + origin_ + ": '" + key + "'");
}

const std::vector<LegacyParams::ListItem>& LegacyParams::list_items(const std::string& list_key) const {
  static const std::vector<ListItem> none;
  auto it = lists_.find(list_key);
  return it == lists_.end() ? none : it->second;
}

}  // namespace dm::sidecar
