// The environment as a value: a lookup function that code below the CLI receives rather than
// reading the process environment itself, so a test or a sidecar can hand it another one.
//
// An empty value counts as unset, as Go's os.Getenv callers in datamon treat it.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace dm {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment. Only the programs' entry points (bin/, the config layer on their
// behalf, benchmarks) call it; stores and credentials are given an EnvLookup.
EnvLookup process_env();

}  // namespace dm
