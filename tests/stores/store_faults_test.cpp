// Store-level fault handling: token refresh after 401, short storms absorbed by retries,
// missing buckets named, on FakeGcsServer and the RGW.
#include <gtest/gtest.h>

#include "common/store/gcs/gcs_store.h"
#include "common/store/s3/s3_store.h"
#include "common/util/crc32c.h"
#include "common/util/error.h"
#include "stores/backends.h"
#include "stores/fake_gcs_server.h"
#include "stores/fake_http_server.h"
#include "support/expect_error.h"
#include "support/test_support.h"

namespace dm::test {
namespace {

// Hands out tok-1, tok-2, ... : a new token after each invalidate().
class FakeRotatingTokenSource final : public auth::TokenSource {
 public:
  std::string token() override { return "tok-" + std::to_string(generation_); }
  void invalidate(const std::string& rejected) override {
    if (rejected == token()) ++generation_;
  }
  std::string describe() const override { return "rotating test tokens"; }

 private:
  int generation_ = 1;
};

store::GcsStore fake_gcs_store(const FakeGcsServer& server, const std::string& bucket,
                               std::shared_ptr<auth::TokenSource> tokens = nullptr) {
  store::GcsLocation loc;
  loc.endpoint = server.url();
  loc.bucket = bucket;
  if (!tokens) tokens = std::make_shared<auth::StaticTokenSource>("", "none");
  return store::GcsStore(loc, tokens, std::make_shared<http::HttpClient>());
}

TEST(GcsStoreFaults, RejectedTokenIsReplacedOnce) {
  FakeGcsServer server;
  server.add_bucket("b");
  server.require_token("tok-2");
  auto store = fake_gcs_store(server, "b", std::make_shared<FakeRotatingTokenSource>());
  store.put("obj", "data", store::PutMode::Overwrite);
  EXPECT_EQ(store.get("obj"), "data");
  EXPECT_EQ(server.requests(), 3u);  // 401, then the put and the get with the new token
}

TEST(GcsStoreFaults, TokenRejectedTwiceIsPermissionDeniedNamingTheObject) {
  FakeGcsServer server;
  server.add_bucket("b");
  server.require_token("never");
  auto store = fake_gcs_store(server, "b", std::make_shared<FakeRotatingTokenSource>());
  expect_not_in(expect_error([&] { store.get("some/object"); }, ErrorKind::PermissionDenied, {"gs://b/some/object"}),
                {"tok-"});
}

TEST(GcsStoreFaults, ShortStormsAreAbsorbedByRetries) {
  FakeGcsServer server;
  server.add_bucket("b");
  auto store = fake_gcs_store(server, "b");
  server.fail_next(3, 503);
  store.put("obj", "data", store::PutMode::NoOverwrite);
  server.fail_next(2, 429);
  EXPECT_EQ(store.get("obj"), "data");
  EXPECT_EQ(server.requests(), 7u);
}

TEST(GcsStoreFaults, StormBeyondTheBudgetIsUnavailableNamingTheObject) {
  FakeGcsServer server;
  server.add_bucket("b");
  auto store = fake_gcs_store(server, "b");
  server.fail_next(1000, 503);
  expect_error([&] { store.get("x/y"); }, ErrorKind::Unavailable, {"gs://b/x/y", "503"});
  EXPECT_EQ(server.requests(), 6u);  // the default budget
}

TEST(GcsStoreFaults, MissingBucketIsNotFoundNamingTheBucket) {
  FakeGcsServer server;
  auto store = fake_gcs_store(server, "absent");
  for (auto op : std::vector<std::function<void()>>{[&] { store.get("o"); }, [&] { store.stat("o"); },
                                                    [&] { store.put("o", "d", store::PutMode::Overwrite); }}) {
    expect_error(op, ErrorKind::NotFound, {"bucket 'gs://absent' does not exist"});
  }
}

TEST(GcsStoreCrc, EncodingMatchesWhatGcsReports) {
  // The Firebase emulator reported crc32c "mnG7TA==" for "hello".
  EXPECT_EQ(store::encode_gcs_crc32c(crc32c("hello")), "mnG7TA==");
  EXPECT_EQ(store::decode_gcs_crc32c("mnG7TA=="), crc32c("hello"));
  EXPECT_FALSE(store::decode_gcs_crc32c("AAAA").has_value());
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);  // the CRC-32C check value
}

TEST(GcsStoreCrc, ChainedAndUnalignedInputsGiveTheWholeCrc) {
  const auto data = random_bytes(100003, 5);
  for (size_t cut : {0UL, 1UL, 7UL, 8UL, 4097UL, 100003UL}) {
    const std::string_view all(data);
    EXPECT_EQ(crc32c(all.substr(cut), crc32c(all.substr(0, cut))), crc32c(all)) << cut;
  }
  EXPECT_EQ(crc32c(std::string_view(data).substr(3, 1000)), crc32c(data.substr(3, 1000)));
}

TEST(S3StoreFaults, MissingBucketIsNotFoundNamingTheBucket) {
  store::S3Location loc;
  loc.endpoint = s3_endpoint();
  loc.bucket = "dmt-absent-bucket";
  store::S3Store store(loc, {kS3AccessKey, kS3SecretKey, ""}, std::make_shared<http::HttpClient>());
  expect_error([&] { store.put("o", "d", store::PutMode::NoOverwrite); }, ErrorKind::NotFound,
               {"s3://dmt-absent-bucket/o", "does not exist"});
}

TEST(S3StoreFaults, WrongSecretIsPermissionDeniedWithoutTheSecret) {
  const auto bucket = unique_bucket("auth");
  create_s3_bucket(bucket);
  store::S3Location loc;
  loc.endpoint = s3_endpoint();
  loc.bucket = bucket;
  store::S3Store store(loc, {kS3AccessKey, "Wr0ngS3cret", ""}, std::make_shared<http::HttpClient>());
  expect_not_in(expect_error([&] { store.get("o"); }, ErrorKind::PermissionDenied, {"s3://" + bucket + "/o"}),
                {"Wr0ngS3cret"});
}

// Both ways of having RGW check the payload work; a body the server did not get intact is
// refused (next test).
TEST(S3Store, SignedSha256AndContentMd5UploadsAreAccepted) {
  const auto bucket = unique_bucket("payload");
  create_s3_bucket(bucket);
  for (auto check : {store::S3PayloadCheck::SignedSha256, store::S3PayloadCheck::ContentMd5}) {
    store::S3Location loc;
    loc.endpoint = s3_endpoint();
    loc.bucket = bucket;
    loc.payload_check = check;
    store::S3Store store(loc, {kS3AccessKey, kS3SecretKey, ""}, std::make_shared<http::HttpClient>());
    const auto name = "obj-" + std::to_string(static_cast<int>(check));
    const auto data = random_bytes(3 * 1024 * 1024 + 5, 11);
    store.put(name, data, store::PutMode::NoOverwrite);
    EXPECT_EQ(store.get(name), data);
    store.put(name + "-empty", "", store::PutMode::Overwrite);
    EXPECT_EQ(store.get(name + "-empty"), "");
  }
}

// A fake S3 endpoint that reports the body it got as damaged: no real server does so on demand.
TEST(S3StoreFaults, DamagedUploadIsCorruptNamingTheObject) {
  FakeHttpServer server([](const FakeRequest& r) -> FakeResponse {
    const bool md5 = !r.header("content-md5").empty();
    return {
        400, {}, std::string("<Error><Code>") + (md5 ? "BadDigest" : "XAmzContentSHA256Mismatch") + "</Code></Error>"};
  });
  for (auto check : {store::S3PayloadCheck::SignedSha256, store::S3PayloadCheck::ContentMd5}) {
    store::S3Location loc;
    loc.endpoint = server.url();
    loc.bucket = "b";
    loc.payload_check = check;
    store::S3Store store(loc, {kS3AccessKey, kS3SecretKey, ""}, std::make_shared<http::HttpClient>());
    expect_error([&] { store.put("dir/obj", "data", store::PutMode::Overwrite); }, ErrorKind::Corrupt,
                 {"s3://b/dir/obj"});
  }
}

TEST(S3Store, PrefixedStoreKeepsNamesRelative) {
  const auto bucket = unique_bucket("pfx");
  create_s3_bucket(bucket);
  store::S3Location loc;
  loc.endpoint = s3_endpoint();
  loc.bucket = bucket;
  loc.prefix = "some/prefix/";
  store::S3Store store(loc, {kS3AccessKey, kS3SecretKey, ""}, std::make_shared<http::HttpClient>());
  store.put("a/b", "x", store::PutMode::Overwrite);
  EXPECT_EQ(store.describe(), "s3://" + bucket + "/some/prefix");
  std::vector<std::string> names;
  store.list("", "", [&](const store::ListEntry& e) { names.push_back(e.name); });
  EXPECT_EQ(names, std::vector<std::string>{"a/b"});
  loc.prefix.clear();
  store::S3Store whole(loc, {kS3AccessKey, kS3SecretKey, ""}, std::make_shared<http::HttpClient>());
  EXPECT_EQ(whole.get("some/prefix/a/b"), "x");
}

}  // namespace
}  // namespace dm::test
