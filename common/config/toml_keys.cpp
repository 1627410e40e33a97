// datamon.toml: the config keys of a TOML document, for viper's TOML config files.
#include <algorithm>
#include <sstream>
#include <toml.hpp>

#include "common/config/config.h"
#include "common/util/ascii.h"
#include "common/util/error.h"

namespace dm::config {

namespace {

// The text of a scalar as viper would hand it to a string setting; nullopt for arrays/tables.
std::optional<std::string> scalar_text(const toml::value& v) {
  if (v.is_string()) return toml::get<std::string>(v);
  if (v.is_boolean()) return toml::get<bool>(v) ? "true" : "false";
  if (v.is_integer()) return std::to_string(toml::get<toml::integer>(v));
  if (v.is_floating()) {
    std::ostringstream out;
    out << toml::get<toml::floating>(v);
    return out.str();
  }
  return std::nullopt;
}

// toml11 explains an error over several lines; an error of ours is one line.
std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  text.erase(std::unique(text.begin(), text.end(), [](char a, char b) { return a == ' ' && b == ' '; }), text.end());
  return text;
}

}  // namespace

std::map<std::string, std::string> parse_toml_config_keys(const std::string& text, const std::string& origin) {
  toml::value root;
  try {
    std::istringstream in(text);
    root = toml::parse(in, origin);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::InvalidArgument,
                "config file " + dm::quoted(origin) + " is not valid TOML: " + one_line(e.what()));
  }
  std::map<std::string, std::string> keys;
  for (const auto& [key, value] : root.as_table()) {
    if (value.is_table()) {
      for (const auto& [sub, sub_value] : value.as_table()) {
        if (auto s = scalar_text(sub_value)) keys[ascii_lower(key) + "." + ascii_lower(sub)] = *s;
      }
    } else if (auto s = scalar_text(value)) {
      keys[ascii_lower(key)] = *s;
    }
  }
  return keys;
}

}  // namespace dm::config
