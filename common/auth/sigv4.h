// AWS Signature Version 4 for S3 requests, our own (libcurl 7.88's is wrong for encoded queries
// and payload hashes). The caller gives the method, the already-encoded path, the query
// parameters (raw; encoded and sorted here), the headers to sign and the payload's SHA-256; we
// add x-amz-date, x-amz-content-sha256, x-amz-security-token and Authorization. Pure function.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/auth/aws_credentials.h"
#include "common/http/http_client.h"

namespace dm::auth {

struct SigV4Request {
  std::string method;
  std::string host;                                        // as sent in Host (with :port when not default)
  std::string encoded_path;                                // "/bucket/key%20x", each segment percent-encoded
  std::vector<std::pair<std::string, std::string>> query;  // raw names and values
  http::Headers headers;                                   // extra headers to sign (names any case)
  std::string payload_sha256;                              // hex, or "UNSIGNED-PAYLOAD"
};

struct SigV4Scope {
  std::string region = "us-east-1";
  std::string service = "s3";
};

// Returns the headers to send: every header of `request` plus Host, x-amz-date,
// x-amz-content-sha256, x-amz-security-token (when temporary) and Authorization.
http::Headers sigv4_sign(const SigV4Request& request, const AwsCredentials& creds, const SigV4Scope& scope,
                         std::chrono::system_clock::time_point now);

// "a=1&b=x%2Fy": sorted, encoded per SigV4; what both the URL and the signature use.
std::string sigv4_canonical_query(std::vector<std::pair<std::string, std::string>> query);

}  // namespace dm::auth
