// Fuzzes the yaml.v2-compatible scalar writer: any UTF-8 text written as a message, a label
// name or an entry name must read back as exactly the same string.
#include <cstdint>
#include <string>

#include "common/model/documents.h"
#include "common/util/error.h"
#include "common/util/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // YAML cannot carry invalid UTF-8, NUL, or CR/BOM/NEL line breaks in plain text; yaml.v2
  // writes such strings as !!binary, which datamon never produces.
  if (!dm::is_valid_utf8(text) || text.find('\0') != std::string::npos || text.find('\r') != std::string::npos ||
      text.find("\xef\xbb\xbf") != std::string::npos || text.find("\xc2\x85") != std::string::npos ||
      text.find("\xe2\x80\xa8") != std::string::npos || text.find("\xe2\x80\xa9") != std::string::npos) {
    return 0;
  }
  dm::model::BundleDescriptor b;
  b.leaf_size = 2097152;
  b.id = text;
  b.message = text;
  b.contributors = {{text, text}};
  const auto yaml = dm::model::to_yaml(b);
  try {
    const auto back = dm::model::parse_bundle(yaml, "fuzz");
    if (back.message != text || back.id != text || back.contributors.size() != 1 || back.contributors[0].name != text) {
      __builtin_trap();
    }
  } catch (const dm::Error&) {
    __builtin_trap();  // our own output must always parse
  }
  return 0;
}
