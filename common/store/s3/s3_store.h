// S3Store: a bucket of an S3-compatible service (AWS, Ceph RGW, MinIO), path-style addressing.
//
// Requests are signed with our own SigV4 and sent through the shared HttpClient, which retries
// transient failures. The server checks that it got the bytes sent, through the signed SHA-256
// of the payload (the default) or Content-MD5 with an unsigned payload; a mismatch is Corrupt.
// NoOverwrite is `If-None-Match: *` (412 → AlreadyExists); listing is ListObjectsV2 with
// continuation tokens. Versions (store.h) are the bucket's versioning status (`GET /?versioning`),
// ListObjectVersions pages (key and version-id markers) and `GET /key?versionId=`. S3 reports no
// CRC32C, so stat() leaves ObjectInfo::crc32c empty. Reads, writes and listings follow
// HttpObjectStore, as GcsStore's do. Thread-safe. Errors follow store.h and name the
// bucket and object; credentials never appear in them.
#pragma once

#include <memory>
#include <string>

#include "common/auth/aws_credentials.h"
#include "common/auth/sigv4.h"
#include "common/http/http_client.h"
#include "common/store/http_object_store.h"

namespace dm::store {

// How the server checks that it received the bytes sent; RGW, MinIO and AWS check both.
// Measured on RGW (bench/store_results.md): with SHA-NI, SHA-256 costs the client less than MD5
// and the server's total CPU is the same (it computes the MD5 of its ETag either way).
enum class S3PayloadCheck {
  SignedSha256,  // x-amz-content-sha256: hex SHA-256 of the body
  ContentMd5,    // x-amz-content-sha256: UNSIGNED-PAYLOAD, Content-MD5 (a signed header)
};

struct S3Location {
  std::string endpoint;  // scheme://host[:port] (normalize_endpoint: a trailing slash or no scheme is fine)
  std::string region = "us-east-1";
  std::string bucket;
  std::string prefix;  // "" or "some/prefix/" (object names are relative to it)
  S3PayloadCheck payload_check = S3PayloadCheck::SignedSha256;
};

class S3Store final : public HttpObjectStore {
 public:
  S3Store(S3Location location, auth::AwsCredentials credentials, std::shared_ptr<http::HttpClient> http);

  std::string describe() const override;
  std::optional<ObjectInfo> stat(std::string_view name) override;
  void remove(std::string_view name) override;
  bool is_versioned() override;
  std::vector<std::string> list_versions(std::string_view name) override;
  std::string read_version(std::string_view name, std::string_view version, uint64_t max_size) override;

  // Creates the bucket (tests and benchmarks; datamon itself never creates buckets).
  void create_bucket();
  // Turns versioning on for the bucket (tests; datamon never changes a bucket's settings).
  void enable_versioning();

 private:
  http::Response fetch(std::string_view name, const http::Headers& headers, http::BodySink* sink) override;
  http::Response upload(std::string_view name, std::string_view data, PutMode mode) override;
  ListPage fetch_list_page(const std::string& full_prefix, std::string_view delimiter, const std::string& token,
                           const std::string& what) override;
  HttpFailure failure_of(const http::Response& answer, std::string_view name) const override;

  http::Response send(const std::string& method, std::string_view name,
                      std::vector<std::pair<std::string, std::string>> query, std::string_view body,
                      http::Headers headers, const std::string& target, http::BodySink* sink = nullptr);

  S3Location loc_;
  auth::AwsCredentials creds_;
  auth::SigV4Scope scope_;
  std::string host_;  // Host header value
  std::shared_ptr<http::HttpClient> http_;
};

}  // namespace dm::store
