// What GcsStore and S3Store read in an HTTP answer (common/store/http_answer.h): status to error
// kind, Content-Range and ranged bodies, endpoint forms. Pure functions: no server needed; the
// conformance suite checks the same rules end to end on the emulator and RGW.
#include "common/store/http_answer.h"

#include <gtest/gtest.h>

#include <string>

#include "support/expect_error.h"

namespace dm::store {
namespace {

http::Response answer(long status, std::string body = {}, http::Headers headers = {}) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.attempts = 1;
  return r;
}

HttpFailure failure() {
  HttpFailure f;
  f.what = "s3://bucket/object";
  f.service = "S3";
  f.bucket = "s3://bucket";
  f.denied_advice = ", check the S3 credentials";
  return f;
}

TEST(HttpAnswer, StatusesMapToTheStoreErrorKinds) {
  EXPECT_EQ(error_for_answer(answer(404), failure()).kind(), ErrorKind::NotFound);
  EXPECT_EQ(error_for_answer(answer(401), failure()).kind(), ErrorKind::PermissionDenied);
  EXPECT_EQ(error_for_answer(answer(403), failure()).kind(), ErrorKind::PermissionDenied);
  EXPECT_EQ(error_for_answer(answer(412), failure()).kind(), ErrorKind::AlreadyExists);
  EXPECT_EQ(error_for_answer(answer(429), failure()).kind(), ErrorKind::Unavailable);
  EXPECT_EQ(error_for_answer(answer(503), failure()).kind(), ErrorKind::Unavailable);
  EXPECT_EQ(error_for_answer(answer(400), failure()).kind(), ErrorKind::Unavailable);
  auto rejected = failure();
  rejected.payload_rejected = true;
  EXPECT_EQ(error_for_answer(answer(400), rejected).kind(), ErrorKind::Corrupt);
}

TEST(HttpAnswer, MessagesNameTheObjectTheStatusAndTheCode) {
  auto f = failure();
  f.code = "AccessDenied";
  const std::string denied = error_for_answer(answer(403), f).what();
  EXPECT_EQ(denied, "s3://bucket/object: access denied, check the S3 credentials (HTTP 403 AccessDenied)");
  EXPECT_EQ(std::string(error_for_answer(answer(404), failure()).what()), "object s3://bucket/object not found");
  auto busy = answer(503);
  busy.attempts = 6;
  EXPECT_EQ(std::string(error_for_answer(busy, failure()).what()),
            "s3://bucket/object: S3 endpoint failing (HTTP 503) after 6 attempts");
}

TEST(HttpAnswer, AMissingBucketIsNamedRatherThanTheObject) {
  auto f = failure();
  f.bucket_missing = true;
  const auto e = error_for_answer(answer(404), f);
  EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  EXPECT_EQ(std::string(e.what()), "s3://bucket/object: bucket 's3://bucket' does not exist");
}

TEST(HttpAnswer, ContentRangeIsParsedStrictly) {
  const auto full = parse_content_range("bytes 0-99/1000");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->first, 0u);
  EXPECT_EQ(full->last, 99u);
  EXPECT_EQ(full->total, 1000u);
  const auto unknown = parse_content_range("bytes 5-9/*");
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown->total);
  for (const char* bad : {"", "bytes", "bytes 9-5/10", "bytes 0-9/9", "bytes -1-5/10", "items 0-9/10", "bytes 0-9",
                          "bytes 0x1-9/10", "bytes 0-99999999999999999999/*", "bytes */10"}) {
    EXPECT_FALSE(parse_content_range(bad)) << bad;
  }
}

TEST(HttpAnswer, RangeHeaderNamesTheLastByteInclusive) {
  EXPECT_EQ(range_header(0, 1), "bytes=0-0");
  EXPECT_EQ(range_header(100, 50), "bytes=100-149");
}

TEST(HttpAnswer, RangedBodyFollowsTheGetRangeContract) {
  auto partial = answer(206, "bcd", {{"content-range", "bytes 1-3/10"}});
  EXPECT_EQ(ranged_body(partial, 1, 3, "obj"), "bcd");
  auto at_end = answer(206, "ij", {{"content-range", "bytes 8-9/10"}});
  EXPECT_EQ(ranged_body(at_end, 8, 5, "obj"), "ij");  // shorter only at the end
  auto past_end = answer(416);
  EXPECT_EQ(ranged_body(past_end, 10, 5, "obj"), "");
  auto whole = answer(200, "abcdefghij");  // a server that ignores Range
  EXPECT_EQ(ranged_body(whole, 2, 3, "obj"), "cde");
  auto whole_short = answer(200, "abc");
  EXPECT_EQ(ranged_body(whole_short, 5, 3, "obj"), "");
  auto no_header = answer(206, "bcd");
  EXPECT_EQ(ranged_body(no_header, 1, 3, "obj"), "bcd");
  auto failed = answer(500);
  EXPECT_FALSE(ranged_body(failed, 0, 3, "obj"));
}

TEST(HttpAnswer, RangedBodyRefusesOtherBytesThanAsked) {
  auto other_offset = answer(206, "abc", {{"content-range", "bytes 0-2/10"}});
  EXPECT_THROW(ranged_body(other_offset, 1, 3, "obj"), Error);
  auto too_long = answer(206, "abcd", {{"content-range", "bytes 1-4/10"}});
  EXPECT_THROW(ranged_body(too_long, 1, 3, "obj"), Error);
  auto cut_short = answer(206, "b", {{"content-range", "bytes 1-1/10"}});  // not the end: bytes lost
  EXPECT_THROW(ranged_body(cut_short, 1, 3, "obj"), Error);
  auto size_mismatch = answer(206, "bc", {{"content-range", "bytes 1-3/10"}});
  EXPECT_THROW(ranged_body(size_mismatch, 1, 3, "obj"), Error);
  auto malformed = answer(206, "bcd", {{"content-range", "bytes one-three/10"}});
  test::expect_error([&] { ranged_body(malformed, 1, 3, "s3://bucket/obj"); }, ErrorKind::Unavailable,
                     {"s3://bucket/obj"});
}

TEST(HttpAnswer, OnlyARetriedCreateThatFindsItsOwnBytesSucceedsOn412) {
  auto first_try = answer(412);
  bool read = false;
  EXPECT_FALSE(is_own_retried_create(first_try, "data", [&] {
    read = true;
    return std::string("data");
  }));
  EXPECT_FALSE(read);  // one attempt: someone else's object, not read back
  auto retried = answer(412);
  retried.attempts = 2;
  EXPECT_TRUE(is_own_retried_create(retried, "data", [] { return std::string("data"); }));
  EXPECT_FALSE(is_own_retried_create(retried, "data", [] { return std::string("other"); }));
  auto failed = answer(500);
  failed.attempts = 2;
  EXPECT_FALSE(is_own_retried_create(failed, "data", [] { return std::string("data"); }));
}

TEST(HttpAnswer, EndpointsAreNormalised) {
  EXPECT_EQ(normalize_endpoint("http://127.0.0.1:7480", "S3"), "http://127.0.0.1:7480");
  EXPECT_EQ(normalize_endpoint("http://127.0.0.1:7480//", "S3"), "http://127.0.0.1:7480");
  EXPECT_EQ(normalize_endpoint("127.0.0.1:9199", "GCS"), "http://127.0.0.1:9199");
  EXPECT_EQ(normalize_endpoint("HTTPS://storage.googleapis.com/", "GCS"), "https://storage.googleapis.com");
  EXPECT_EQ(endpoint_host("http://127.0.0.1:7480"), "127.0.0.1:7480");
  EXPECT_EQ(endpoint_host("https://s3.eu-west-1.amazonaws.com/base"), "s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(endpoint_host("[::1]:9000"), "[::1]:9000");
}

TEST(HttpAnswer, EndpointsWithoutAHostOrWithCredentialsAreRefused) {
  EXPECT_THROW(normalize_endpoint("", "S3"), Error);
  EXPECT_THROW(normalize_endpoint("http://", "S3"), Error);
  EXPECT_THROW(normalize_endpoint("ftp://host", "S3"), Error);
  test::expect_not_in(
      test::expect_error([] { normalize_endpoint("http://user:s3cret@host:9000", "S3"); }, ErrorKind::InvalidArgument),
      {"s3cret"});
}

}  // namespace
}  // namespace dm::store
