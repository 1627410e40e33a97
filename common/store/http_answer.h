// How an object store spoken to over HTTP (GCS JSON API, S3) reads the server's answers: one
// status-to-error mapping, one reading of a ranged GET, one form of endpoint. GcsStore and
// S3Store differ in their protocol (URLs, signatures, XML or JSON); what an answer means to the
// Store contract (store.h) is decided here, once.
//
// Pure functions of their arguments, thread-safe. Messages name the object or the store (a URL
// without credentials) and the HTTP status; they never contain a header value.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/http/http_client.h"
#include "common/util/error.h"

namespace dm::store {

// What a store knows about a failed answer, beyond the answer itself.
struct HttpFailure {
  std::string what;               // the object URL, or the store for bucket-level requests
  std::string service;            // "GCS", "S3": for "GCS endpoint failing"
  std::string code;               // the service's error code or reason from the body, "" when none
  bool bucket_missing = false;    // the body says the bucket (not the object) does not exist
  std::string bucket;             // "gs://bucket": named when it is missing
  std::string denied_advice;      // after "access denied": "for <credentials>", ", check the S3 credentials"
  bool payload_rejected = false;  // the server says it received other bytes than were sent
};

// The error an answer that is not a success means (store.h's kinds):
//   404 NotFound (the bucket named when it is the bucket that is missing), 401/403
//   PermissionDenied, 412 AlreadyExists (a create-if-absent met an object), a rejected payload
//   Corrupt, 429/5xx Unavailable after the retries (with the attempts and any Retry-After the
//   budget could not honour), anything else Unavailable "unexpected answer".
Error error_for_answer(const http::Response& answer, const HttpFailure& failure);

// "bytes=<offset>-<offset + length - 1>" (`length` > 0).
std::string range_header(uint64_t offset, uint64_t length);

// A Content-Range "bytes first-last/total" ("*" for an unknown total); nullopt when malformed.
struct ContentRange {
  uint64_t first = 0;
  uint64_t last = 0;
  std::optional<uint64_t> total;
};
std::optional<ContentRange> parse_content_range(std::string_view value);

// The bytes a GET with range_header(offset, length) answered, by Store::get_range's contract
// (`length` bytes, shorter only at the end, empty at or past it): 206 with the asked range (its
// Content-Range checked when the server sends one), 416 (past the end: empty) or 200 (a server
// that ignores Range sent the whole object: cut here). nullopt for any other status: the caller
// maps it with error_for_answer. A 206 for other bytes than asked, or a body longer than asked
// or cut short before the object's end, is Unavailable naming `what`. Moves the body out.
std::optional<std::string> ranged_body(http::Response& answer, uint64_t offset, uint64_t length,
                                       const std::string& what);

// A create-if-absent (PutMode::NoOverwrite) that took more than one attempt may meet its own
// first attempt, which landed before its answer was lost: a 412 then is success when the object
// holds exactly the bytes sent. `read_back` fetches the object; called only in that case.
bool is_own_retried_create(const http::Response& answer, std::string_view data,
                           const std::function<std::string()>& read_back);

// An endpoint as the stores use it: "scheme://host[:port]" with no trailing slash; "host:port"
// alone means http. A path, query, user info or an empty host is InvalidArgument naming `what`
// (a typo, or credentials that would end up in messages).
std::string normalize_endpoint(std::string_view endpoint, const std::string& what);

// "host[:port]" of a normalized endpoint (the Host header, the SigV4 host).
std::string endpoint_host(std::string_view endpoint);

}  // namespace dm::store
