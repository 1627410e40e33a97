// Servers that never finish (issue 17): a listing whose pages never end or loop, and a body
// trickling in a byte at a time. FakeHttpServer plays them: no real server misbehaves on
// demand. Every case ends with an error naming the bucket and prefix (or the object).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "common/http/http_client.h"
#include "common/store/gcs/gcs_store.h"
#include "common/store/list_pages.h"
#include "common/store/s3/s3_store.h"
#include "common/util/error.h"
#include "stores/backends.h"
#include "stores/fake_http_server.h"
#include "support/expect_error.h"

namespace dm::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// A client that gives up a slow attempt quickly and does not retry it, to keep the tests short.
std::shared_ptr<http::HttpClient> impatient_client(std::chrono::seconds stall, std::chrono::milliseconds total) {
  http::RetryPolicy policy;
  policy.max_attempts = 1;
  policy.stall_timeout = stall;
  policy.attempt_timeout = total;
  return std::make_shared<http::HttpClient>(policy);
}

store::S3Store fake_s3(const FakeHttpServer& server, std::shared_ptr<http::HttpClient> http = nullptr) {
  store::S3Location loc;
  loc.endpoint = server.url();
  loc.bucket = std::string("b");  // not `= "b"`: GCC 12 misreads that assignment (-Wrestrict, bug 105651)
  return store::S3Store(loc, {kS3AccessKey, kS3SecretKey, ""}, http ? http : std::make_shared<http::HttpClient>());
}

store::GcsStore fake_gcs(const FakeHttpServer& server) {
  store::GcsLocation loc;
  loc.endpoint = server.url();
  loc.bucket = "b";
  return store::GcsStore(loc, std::make_shared<auth::StaticTokenSource>("", "none"),
                         std::make_shared<http::HttpClient>());
}

std::string s3_page(const std::string& key, const std::string& next) {
  return "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>" + key +
         "</Key></Contents><NextContinuationToken>" + next + "</NextContinuationToken></ListBucketResult>";
}

std::string list_error(store::Store& store, const std::string& prefix) {
  return expect_error([&] { store.list(prefix, "", [](const store::ListEntry&) {}); }, ErrorKind::Unavailable);
}

TEST(EndlessServer, AnS3ListingThatRepeatsItsContinuationTokenEnds) {
  FakeHttpServer server([](const FakeRequest&) -> FakeResponse { return {200, {}, s3_page("k", "again")}; });
  auto store = fake_s3(server);
  EXPECT_THAT(list_error(store, "blobs/"), HasSubstr("listing s3://b (list 'blobs/'): the server sent the same page"));
  EXPECT_LE(server.requests(), 3U);
}

TEST(EndlessServer, AnS3ListingTruncatedWithoutAContinuationTokenIsNotTakenAsWhole) {
  FakeHttpServer server([](const FakeRequest&) -> FakeResponse { return {200, {}, s3_page("k", "")}; });
  auto store = fake_s3(server);
  EXPECT_THAT(list_error(store, "p"), HasSubstr("a truncated page without a continuation token"));
}

TEST(EndlessServer, AGcsListingThatRepeatsItsPageTokenEnds) {
  FakeHttpServer server([](const FakeRequest&) -> FakeResponse {
    return {200, {{"Content-Type", "application/json"}}, R"({"items":[{"name":"k"}],"nextPageToken":"again"})"};
  });
  auto store = fake_gcs(server);
  EXPECT_THAT(list_error(store, "repos/"), HasSubstr("gs://b (list 'repos/'): the server sent the same page token"));
  EXPECT_LE(server.requests(), 3U);
}

// Tokens that never repeat: only the page bound ends it (a small bound here; the stores use
// ListPages::kMaxPages).
TEST(EndlessServer, PagesAreBounded) {
  store::ListPages pages("gs://b (list 'x')", 5);
  for (int i = 1; i < 5; ++i) pages.next(std::to_string(i) + "t");
  EXPECT_THAT(error_message([&] { pages.next("5t"); }), HasSubstr("listing gs://b (list 'x'): more than 5 pages"));
}

// A body at 4 bytes/s: above the old floor of 1 byte/s (so it never timed out) and far below
// the new one of 1 KiB/s.
TEST(EndlessServer, ABodyTricklingInIsGivenUp) {
  FakeHttpServer server([](const FakeRequest&) -> FakeResponse {
    FakeResponse r{200, {}, std::string(120, 'x')};
    r.fault = FakeResponse::Fault::Trickle;
    r.trickle_every = 250ms;
    return r;
  });
  auto store = fake_s3(server, impatient_client(2s, std::chrono::minutes(10)));
  expect_error([&] { store.get("blobs/k"); }, ErrorKind::Unavailable, {"s3://b/blobs/k"});
}

// Fast enough for the speed floor (4 KiB/s), but the attempt outlives its total bound.
TEST(EndlessServer, AnAttemptOutlivingItsTotalTimeIsGivenUp) {
  FakeHttpServer server([](const FakeRequest&) -> FakeResponse {
    FakeResponse r{200, {}, std::string(256 * 1024, 'x')};
    r.fault = FakeResponse::Fault::Trickle;
    r.trickle_bytes = 1024;
    r.trickle_every = 250ms;
    return r;
  });
  auto store = fake_s3(server, impatient_client(30s, 2s));
  expect_error([&] { store.get("blobs/k"); }, ErrorKind::Unavailable, {"s3://b/blobs/k"});
}

}  // namespace
}  // namespace dm::test
