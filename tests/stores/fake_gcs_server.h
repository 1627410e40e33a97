// FakeGcsServer: an in-memory GCS JSON API subset on FakeHttpServer, for what the Firebase
// emulator lacks: ifGenerationMatch preconditions (412), 416 for ranges past the end, bearer
// token checks (401), missing buckets (404), CRC32C checks on upload, 5xx storms (with or without
// Retry-After, on every object or on the objects matching a name), and object versioning (bucket
// `versioning.enabled`, listings with versions=true, reads by generation). It is a
// test double, not a GCS; the conformance suite also runs GcsStore on the real emulator.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "stores/fake_http_server.h"

namespace dm::test {

class FakeGcsServer {
 public:
  FakeGcsServer();
  std::string url() const { return http_->url(); }
  unsigned requests() const { return http_->requests(); }

  // Buckets that exist (others answer 404 "The specified bucket does not exist.").
  void add_bucket(const std::string& bucket);
  // When set, requests without "Authorization: Bearer <token>" get 401.
  void require_token(const std::string& token);
  // The next `n` requests (of `method` only, when given) get `status` (503 storm, 429...),
  // with a Retry-After header when `retry_after` is not empty.
  void fail_next(unsigned n, int status, const std::string& method = "", const std::string& retry_after = "");
  // Every request on an object whose name contains `name_part` gets `status` ("" stops it).
  void fail_objects_matching(const std::string& name_part, int status);
  // Page size of object listings (small, to exercise page tokens); a listing with versions=true
  // pages by object name, each name's generations on one page.
  void set_page_size(unsigned n);
  // Turns versioning on for `bucket`: an overwritten or deleted object stays readable by its
  // generation, and a listing with versions=true shows a live object's earlier generations
  // before it, oldest first (a deleted object's are left out).
  void enable_versioning(const std::string& bucket);

 private:
  FakeResponse handle(const FakeRequest& req);

  struct Object {
    std::string data;
    long long generation = 0;
    std::string updated;  // RFC 3339, as GCS's `updated`
  };
  std::set<std::string> buckets_;
  std::map<std::string, std::map<std::string, Object>> objects_;  // bucket -> name -> object
  // Versioned buckets: bucket -> name -> the generations before the live one, oldest first.
  std::map<std::string, std::map<std::string, std::vector<Object>>> noncurrent_;
  std::set<std::string> versioned_buckets_;
  std::string token_;
  unsigned failures_left_ = 0;
  int failure_status_ = 503;
  std::string failure_method_;
  std::string failure_retry_after_;
  std::string failing_name_part_;
  int failing_name_status_ = 503;
  unsigned page_size_ = 3;
  long long next_generation_ = 1;
  std::unique_ptr<FakeHttpServer> http_;  // last: stops before the state above goes
};

}  // namespace dm::test
