// Fuzzes the YAML document parsers (bundle, index, label, context, repo) with arbitrary bytes:
// they may reject input only with dm::Error, never crash, hang or throw anything else. A parsed
// bundle must survive a write/parse round trip unchanged.
#include <cstdint>
#include <string>

#include "common/model/documents.h"
#include "common/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string doc(reinterpret_cast<const char*>(data), size);
  try {
    auto b = dm::model::parse_bundle(doc, "fuzz");
    const auto again = dm::model::parse_bundle(dm::model::to_yaml(b), "fuzz-roundtrip");
    if (!(again == b)) __builtin_trap();
  } catch (const dm::Error&) {
  }
  try {
    auto entries = dm::model::parse_bundle_entries(doc, "fuzz");
    if (!(dm::model::parse_bundle_entries(dm::model::to_yaml(entries), "fuzz-roundtrip") == entries)) __builtin_trap();
  } catch (const dm::Error&) {
  }
  try {
    dm::model::parse_label(doc, "fuzz");
  } catch (const dm::Error&) {
  }
  try {
    dm::model::parse_context(doc, "fuzz");
  } catch (const dm::Error&) {
  }
  try {
    dm::model::parse_repo(doc, "fuzz");
  } catch (const dm::Error&) {
  }
  return 0;
}
