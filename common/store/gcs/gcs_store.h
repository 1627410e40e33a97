// GcsStore: a Google Cloud Storage bucket through the JSON API (or an emulator of it).
//
// Uploads are multipart (metadata + media) carrying the object's CRC32C, which the server
// checks; NoOverwrite adds ifGenerationMatch=0 (412 → AlreadyExists). Reads use alt=media with
// Range; listing follows pageToken; stat() reports the server's CRC32C. Versions (store.h) are
// the bucket's `versioning.enabled`, a listing with versions=true and reads by generation. A bearer token from an
// auth::TokenSource is sent on each attempt and fetched again once after a 401. Requests go
// through the shared HttpClient (retries on 429/5xx/transport faults); reads, writes and
// listings follow HttpObjectStore, as S3Store's do. Thread-safe. Errors follow store.h and name
// the bucket and object, never a token.
#pragma once

#include <memory>
#include <string>

#include "common/auth/gcs_token_source.h"
#include "common/http/http_client.h"
#include "common/store/gcs/gcs_json.h"
#include "common/store/http_object_store.h"

namespace dm::store {

struct GcsLocation {
  std::string endpoint = "https://storage.googleapis.com";  // or an emulator, e.g. http://127.0.0.1:9199
  std::string bucket;
  std::string prefix;  // "" or "some/prefix/"
};

class GcsStore final : public HttpObjectStore {
 public:
  GcsStore(GcsLocation location, std::shared_ptr<auth::TokenSource> tokens, std::shared_ptr<http::HttpClient> http);

  std::string describe() const override;
  std::optional<ObjectInfo> stat(std::string_view name) override;
  void remove(std::string_view name) override;
  bool is_versioned() override;
  std::vector<std::string> list_versions(std::string_view name) override;
  std::string read_version(std::string_view name, std::string_view version, uint64_t max_size) override;

 private:
  http::Response fetch(std::string_view name, const http::Headers& headers, http::BodySink* sink) override;
  http::Response upload(std::string_view name, std::string_view data, PutMode mode) override;
  ListPage fetch_list_page(const std::string& full_prefix, std::string_view delimiter, const std::string& token,
                           const std::string& what) override;
  HttpFailure failure_of(const http::Response& answer, std::string_view name) const override;

  // One page of the object listing `query` (after "/o?", without pageToken) from `token` ("" for
  // the first); `what` names the listing in errors.
  gcs::ListPage fetch_page(const std::string& query, const std::string& token, const std::string& what);
  http::Response send(const http::Request& request);
  std::string object_path(std::string_view name) const;
  // Corrupt when the CRC32C the server reports for a stored upload is not the one sent.
  void check_stored_crc(const http::Response& answer, std::string_view name, uint32_t sent) const;

  GcsLocation loc_;
  std::shared_ptr<auth::TokenSource> tokens_;
  std::shared_ptr<http::HttpClient> http_;
};

// Decodes the base64 big-endian CRC32C that GCS reports ("crc32c" field, x-goog-hash).
std::optional<uint32_t> decode_gcs_crc32c(std::string_view base64);
std::string encode_gcs_crc32c(uint32_t crc);

}  // namespace dm::store
