// Fuzzes the GCS JSON API readers (error bodies, list pages, object metadata, bucket versioning)
// with arbitrary bodies: refusal only by dm::Error (never nlohmann's own exceptions), and a parsed list page
// written back as JSON parses to the same page.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "common/store/gcs/gcs_json.h"
#include "common/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  namespace gcs = dm::store::gcs;
  (void)gcs::parse_error(body);
  try {
    const auto page = gcs::parse_list_page(body, "fuzz");
    nlohmann::json again{{"prefixes", page.prefixes}};
    again["items"] = nlohmann::json::array();
    if (page.generations.size() != page.items.size()) __builtin_trap();
    for (size_t i = 0; i < page.items.size(); ++i) {
      const auto& generation = page.generations[i];
      if (!generation.empty() && !gcs::is_generation(generation)) __builtin_trap();
      again["items"].push_back({{"name", page.items[i]}, {"generation", generation}});
    }
    if (!page.next_page_token.empty()) again["nextPageToken"] = page.next_page_token;
    const auto reparsed = gcs::parse_list_page(again.dump(), "fuzz-roundtrip");
    if (reparsed.items != page.items || reparsed.generations != page.generations ||
        reparsed.prefixes != page.prefixes || reparsed.next_page_token != page.next_page_token)
      __builtin_trap();
  } catch (const dm::Error&) {
  }
  try {
    (void)gcs::parse_object_metadata(body, "fuzz");
  } catch (const dm::Error&) {
  }
  try {
    (void)gcs::parse_bucket_versioning(body, "fuzz");
  } catch (const dm::Error&) {
  }
  return 0;
}
