// The old sidecars' parameters as one flat table, the way their scripts saw them: every YAML
// scalar under its path in upper case joined by '_' (globalOpts.coordPoint → GLOBALOPTS_COORDPOINT;
// a list item is keyed by its `name`: bundles[name=src].srcLabel → BUNDLES_SRC_SRCLABEL), with
// the environment variable SIDECAR_<KEY> taking precedence over the file (decision 16:
// flags > env > file > defaults; the old pg script let the file win).
//
// Errors are InvalidArgument naming the origin (file path or "inline YAML") and the key.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/config/config.h"

namespace dm::sidecar {

class LegacyParams {
 public:
  // `text` is the YAML document; `origin` names it in errors. Empty text is an empty table.
  static LegacyParams parse(const std::string& text, const std::string& origin);

  // Lets SIDECAR_<KEY> override (or supply) each of `keys`.
  void apply_env(const std::vector<std::string>& keys, const config::EnvLookup& env);

  std::optional<std::string> get(const std::string& key) const;
  std::string get_or(const std::string& key, const std::string& fallback) const;
  // "true"/"false" (the old scripts enabled only on the exact string "true"; we also accept
  // yes/1 and refuse anything else rather than guess).
  bool get_bool(const std::string& key, bool fallback) const;
  std::chrono::milliseconds get_duration(const std::string& key, std::chrono::milliseconds fallback) const;
  struct ListItem {
    std::string key;   // the key part: BUNDLES_<key>_...
    std::string name;  // as written in the file, for messages
  };
  // The items of a list (e.g. "BUNDLES"), in file order.
  const std::vector<ListItem>& list_items(const std::string& list_key) const;

  const std::string& origin() const { return origin_; }

  // The key form of a list item's name: upper case, anything but letters and digits → '_'.
  static std::string key_part(const std::string& name);

 private:
  std::string origin_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<ListItem>> lists_;
};

}  // namespace dm::sidecar
