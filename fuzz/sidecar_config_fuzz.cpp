// Fuzzes the sidecars' parameter files (the old FUSEParams and pgparams YAML) with arbitrary
// bytes and no environment: they may refuse input only with dm::Error, never crash, hang or
// throw anything else; an accepted fuse config names a mount point and one source per entry.
#include <cstdint>
#include <string>

#include "common/util/error.h"
#include "sidecar/fuse_config.h"
#include "sidecar/legacy_params.h"
#include "sidecar/pg_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const dm::config::EnvLookup no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  try {
    auto params = dm::sidecar::LegacyParams::parse(text, "fuzz");
    for (const auto& item : params.list_items("BUNDLES")) {
      if (item.key != dm::sidecar::LegacyParams::key_part(item.name)) __builtin_trap();
    }
  } catch (const dm::Error&) {
  }
  try {
    const auto fuse = dm::sidecar::load_fuse_config(text, "fuzz", no_env);
    for (const auto& s : fuse.sources) {
      if (s.mount_point.empty() || s.repo.empty() || s.label.empty() == s.bundle.empty()) __builtin_trap();
    }
  } catch (const dm::Error&) {
  }
  try {
    const auto pg = dm::sidecar::load_pg_config(text, "fuzz", no_env);
    if (pg.name.empty()) __builtin_trap();
  } catch (const dm::Error&) {
  }
  return 0;
}
