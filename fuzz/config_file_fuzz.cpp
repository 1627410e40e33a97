// Fuzzes the datamon.yaml reader with arbitrary bytes: refusal only by dm::Error naming the
// file, never yaml-cpp's own exceptions; every key read is lower case.
#include <cstdint>
#include <string>

#include "common/config/config.h"
#include "common/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    for (const auto& [key, value] : dm::config::parse_config_keys(text, "fuzz.yaml")) {
      for (const char c : key) {
        if (c >= 'A' && c <= 'Z') __builtin_trap();
      }
    }
  } catch (const dm::Error& e) {
    if (std::string(e.what()).find("fuzz.yaml") == std::string::npos) __builtin_trap();
  }
  return 0;
}
