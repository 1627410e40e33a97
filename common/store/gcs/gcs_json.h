// The pieces of GCS JSON API answers we read: error bodies, list pages and object metadata.
// Pure functions over the body text, so the store and the fuzzer share them. A body that is
// not the expected JSON is an Unavailable error naming `what` (never a crash or a foreign
// exception); error bodies never fail, they just yield empty fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dm::store::gcs {

struct ErrorInfo {
  std::string message;
  std::string reason;  // errors[0].reason
};
ErrorInfo parse_error(std::string_view body);

struct ListPage {
  std::vector<std::string> items;        // object names
  std::vector<std::string> generations;  // each item's generation in decimal, "" when it has none
  std::vector<std::string> prefixes;     // "folders" under a delimiter
  std::string next_page_token;           // "" on the last page
};
ListPage parse_list_page(std::string_view body, const std::string& what);

// A generation id: 1 to 19 decimal digits (the width of the int64 Go parses it into), nothing
// else, so one read from a listing can go into a URL as it is.
bool is_generation(std::string_view text);

// {"versioning": {"enabled": true}} from a bucket's metadata: whether it keeps every generation
// of its objects; no `versioning` is false, a body that is no JSON object an error naming `what`.
bool parse_bucket_versioning(std::string_view body, const std::string& what);

struct ObjectMetadata {
  uint64_t size = 0;
  std::optional<uint32_t> crc32c;
  std::optional<int64_t> updated;  // seconds since the Unix epoch
};
// {"size": "123" or 123, "crc32c": "<base64>", "updated": "2019-03-12T22:10:24.159Z"}: a
// missing or malformed size is an error; a malformed `updated` is left unset.
ObjectMetadata parse_object_metadata(std::string_view body, const std::string& what);

}  // namespace dm::store::gcs
