// GcsStore: a Google Cloud Storage bucket through the JSON API (or an emulator of it).
//
// Uploads are multipart (metadata + media) carrying the object's CRC32C, which the server
// checks; NoOverwrite adds ifGenerationMatch=0 (412 → AlreadyExists). Reads use alt=media with
// Range; listing follows pageToken; stat() reports the server's CRC32C. Versions (store.h) are
// the bucket's `versioning.enabled`, a listing with versions=true and reads by generation. A bearer token from an
// auth::TokenSource is sent on each attempt and fetched again once after a 401. Requests go
// through the shared HttpClient (retries on 429/5xx/transport faults). Thread-safe. Errors
// follow store.h and name the bucket and object, never a token.
#pragma once

#include <memory>
#include <string>

#include "common/auth/gcs_token_source.h"
#include "common/http/http_client.h"
#include "common/store/gcs/gcs_json.h"
#include "common/store/store.h"

namespace dm::store {

struct GcsLocation {
  std::string endpoint = "https://storage.googleapis.com";  // or an emulator, e.g. http://127.0.0.1:9199
  std::string bucket;
  std::string prefix;  // "" or "some/prefix/"
};

class GcsStore final : public Store {
 public:
  GcsStore(GcsLocation location, std::shared_ptr<auth::TokenSource> tokens, std::shared_ptr<http::HttpClient> http);

  std::string describe() const override;
  std::string get(std::string_view name) override;
  std::string get_range(std::string_view name, uint64_t offset, uint64_t length) override;
  std::optional<ObjectInfo> stat(std::string_view name) override;
  void put(std::string_view name, std::string_view data, PutMode mode) override;
  void list(std::string_view prefix, std::string_view delimiter,
            const std::function<void(const ListEntry&)>& on_entry) override;
  void remove(std::string_view name) override;
  bool is_versioned() override;
  std::vector<std::string> list_versions(std::string_view name) override;
  std::string read_version(std::string_view name, std::string_view version, uint64_t max_size) override;

 private:
  // Fetches every page of the object listing `query` (after "/o?", without pageToken) and hands
  // each to `on_page`; `what` names the listing in errors.
  void list_pages(const std::string& query, const std::string& what,
                  const std::function<void(gcs::ListPage& page)>& on_page);
  http::Response send(const http::Request& request);
  std::string object_path(std::string_view name) const;
  [[noreturn]] void fail(const http::Response& r, std::string_view name) const;

  GcsLocation loc_;
  std::shared_ptr<auth::TokenSource> tokens_;
  std::shared_ptr<http::HttpClient> http_;
};

// Decodes the base64 big-endian CRC32C that GCS reports ("crc32c" field, x-goog-hash).
std::optional<uint32_t> decode_gcs_crc32c(std::string_view base64);
std::string encode_gcs_crc32c(uint32_t crc);

}  // namespace dm::store
