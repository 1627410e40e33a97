// Credentials and signing: SigV4 against AWS's published examples, AWS credential sources,
// the GCS service-account JWT flow against a fake token endpoint (FakeHttpServer), the
// metadata server, and the choice of token source.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/auth/aws_credentials.h"
#include "common/auth/gcs_token_source.h"
#include "common/auth/sigv4.h"
#include "common/config/config.h"
#include "common/http/encoding.h"
#include "common/store/open_store.h"
#include "common/util/error.h"
#include "stores/fake_http_server.h"
#include "stores/fake_token_endpoint.h"
#include "support/expect_error.h"
#include "support/test_support.h"

namespace dm::test {
namespace {

config::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::chrono::system_clock::time_point parse_utc(int y, int mo, int d) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string header(const http::Headers& h, const std::string& name) {
  for (const auto& [k, v] : h) {
    if (k == name) return v;
  }
  return {};
}

const auth::AwsCredentials kDocCreds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const std::string kEmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// "Example: GET Object" of the S3 SigV4 header-auth documentation.
TEST(SigV4, MatchesTheAwsGetObjectExample) {
  auth::SigV4Request req{"GET", "examplebucket.s3.amazonaws.com", "/test.txt",
                         {},    {{"Range", "bytes=0-9"}},         kEmptyHash};
  const auto h = auth::sigv4_sign(req, kDocCreds, {"us-east-1", "s3"}, parse_utc(2013, 5, 24));
  EXPECT_EQ(header(h, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(header(h, "x-amz-date"), "20130524T000000Z");
}

// "Example: GET Bucket (List Objects)": the query is sorted and encoded by the signer.
TEST(SigV4, MatchesTheAwsListObjectsExampleWithUnsortedQuery) {
  auth::SigV4Request req{"GET",     "examplebucket.s3.amazonaws.com", "/", {{"prefix", "J"}, {"max-keys", "2"}}, {},
                         kEmptyHash};
  const auto h = auth::sigv4_sign(req, kDocCreds, {"us-east-1", "s3"}, parse_utc(2013, 5, 24));
  EXPECT_NE(
      header(h, "Authorization").find("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
      std::string::npos)
      << header(h, "Authorization");
}

TEST(SigV4, CanonicalQueryEncodesPerAwsRules) {
  EXPECT_EQ(auth::sigv4_canonical_query({{"prefix", "pg/a b+c"}, {"list-type", "2"}, {"uploads", ""}}),
            "list-type=2&prefix=pg%2Fa%20b%2Bc&uploads=");
}

TEST(SigV4, SessionTokenIsSentAndSigned) {
  auth::AwsCredentials creds = kDocCreds;
  creds.session_token = "session-xyz";
  auth::SigV4Request req{"GET", "h", "/b/k", {}, {}, kEmptyHash};
  const auto h = auth::sigv4_sign(req, creds, {}, parse_utc(2020, 1, 1));
  EXPECT_EQ(header(h, "x-amz-security-token"), "session-xyz");
  EXPECT_NE(header(h, "Authorization").find("x-amz-security-token"), std::string::npos);
}

TEST(AwsCredentials, EnvironmentWins) {
  const auto c = auth::load_aws_credentials(
      env_of({{"AWS_ACCESS_KEY_ID", "id"}, {"AWS_SECRET_ACCESS_KEY", "sk"}, {"AWS_SESSION_TOKEN", "st"}}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "id");
  EXPECT_EQ(c->secret_access_key, "sk");
  EXPECT_EQ(c->session_token, "st");
}

TEST(AwsCredentials, ProfileOfTheSharedCredentialsFile) {
  TempDir dir;
  write_file(dir / "credentials",
             "# comment\n[default]\naws_access_key_id = DEF\naws_secret_access_key = DEFSECRET\n\n"
             "[ci]\naws_access_key_id=CIKEY\naws_secret_access_key = CISECRET\naws_session_token = T\n");
  const auto file = (dir / "credentials").string();
  auto c = auth::load_aws_credentials(env_of({{"AWS_SHARED_CREDENTIALS_FILE", file}}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "DEF");
  c = auth::load_aws_credentials(env_of({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "ci"}}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->secret_access_key, "CISECRET");
  EXPECT_EQ(c->session_token, "T");
  EXPECT_FALSE(auth::load_aws_credentials(env_of({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "nope"}})));
  EXPECT_FALSE(auth::load_aws_credentials(env_of({{"HOME", dir.path().string()}})));  // no ~/.aws/credentials
}

TEST(AwsCredentials, IncompleteProfileNamesFileAndProfileButNoSecret) {
  TempDir dir;
  write_file(dir / "credentials", "[p]\naws_secret_access_key = VERYSECRET\n");
  const auto message = error_message([&] {
    auth::load_aws_credentials(
        env_of({{"AWS_SHARED_CREDENTIALS_FILE", (dir / "credentials").string()}, {"AWS_PROFILE", "p"}}));
  });
  EXPECT_NE(message.find("'p'"), std::string::npos) << message;
  EXPECT_NE(message.find("credentials"), std::string::npos) << message;
  expect_not_in(message, {"VERYSECRET"});
}

TEST(ServiceAccount, SignsAJwtAndCachesTheToken) {
  TestKey key;
  FakeTokenEndpoint endpoint(key);
  auth::ServiceAccountTokenSource source(endpoint.key_json(), "sa.json", std::make_shared<http::HttpClient>());
  EXPECT_EQ(source.token(), "tok-1") << endpoint.last_error;
  EXPECT_EQ(source.token(), "tok-1");
  EXPECT_EQ(source.fetches(), 1u);
  source.invalidate("tok-0");  // an older token: the current one stays
  EXPECT_EQ(source.token(), "tok-1");
  source.invalidate("tok-1");
  EXPECT_EQ(source.token(), "tok-2");
  EXPECT_EQ(endpoint.server.requests(), 2u);
}

TEST(ServiceAccount, RefreshesTokensThatAreAboutToExpire) {
  TestKey key;
  FakeTokenEndpoint endpoint(key);
  endpoint.expires_in = 30;  // inside the one-minute refresh margin
  auth::ServiceAccountTokenSource source(endpoint.key_json(), "sa.json", std::make_shared<http::HttpClient>());
  EXPECT_EQ(source.token(), "tok-1");
  EXPECT_EQ(source.token(), "tok-2");
}

TEST(ServiceAccount, RejectedGrantIsPermissionDeniedWithoutSecrets) {
  TestKey key;
  FakeTokenEndpoint endpoint(key);
  endpoint.status = 400;
  auth::ServiceAccountTokenSource source(endpoint.key_json(), "sa.json", std::make_shared<http::HttpClient>());
  expect_not_in(expect_error([&] { source.token(); }, ErrorKind::PermissionDenied,
                             {"robot@proj.iam.gserviceaccount.com", "invalid_grant"}),
                {"PRIVATE KEY"});
}

TEST(ServiceAccount, BadKeyFileNamesTheFile) {
  auto http = std::make_shared<http::HttpClient>();
  const auto no_key = error_message([&] {
    auth::ServiceAccountTokenSource s(R"({"type":"service_account","client_email":"a@b"})", "/etc/sa.json", http);
  });
  EXPECT_NE(no_key.find("/etc/sa.json"), std::string::npos) << no_key;
  auth::ServiceAccountTokenSource garbled(
      R"({"type":"service_account","client_email":"a@b","private_key":"-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----\n","token_uri":"http://127.0.0.1:1/t"})",
      "/etc/sa.json", http);
  expect_error([&] { garbled.token(); }, ErrorKind::InvalidArgument, {"/etc/sa.json"});
}

TEST(MetadataServer, AsksWithTheMetadataFlavorHeader) {
  FakeHttpServer server([](const FakeRequest& r) -> FakeResponse {
    if (r.header("metadata-flavor") != "Google" ||
        r.path != "/computeMetadata/v1/instance/service-accounts/default/token") {
      return {403, {}, ""};
    }
    return {200, {}, R"({"access_token":"meta-token","expires_in":3599,"token_type":"Bearer"})"};
  });
  auth::MetadataServerTokenSource source("127.0.0.1:" + std::to_string(server.port()),
                                         std::make_shared<http::HttpClient>());
  EXPECT_EQ(source.token(), "meta-token");
  EXPECT_EQ(source.token(), "meta-token");
  EXPECT_EQ(server.requests(), 1u);
}

TEST(GcsTokenSource, PicksCredentialFileThenEnvTokenThenEmulatorThenMetadata) {
  TestKey key;
  FakeTokenEndpoint endpoint(key);
  TempDir dir;
  write_file(dir / "sa.json", endpoint.key_json());
  auto http = std::make_shared<http::HttpClient>();
  store::StoreOptions opts;
  auto s = auth::gcs_token_source(
      opts,
      env_of({{"GOOGLE_APPLICATION_CREDENTIALS", (dir / "sa.json").string()}, {"GOOGLE_OAUTH_ACCESS_TOKEN", "static"}}),
      http);
  EXPECT_EQ(s->token(), "tok-1");
  s = auth::gcs_token_source(opts, env_of({{"GOOGLE_OAUTH_ACCESS_TOKEN", "static"}}), http);
  EXPECT_EQ(s->token(), "static");
  opts.gcs_endpoint = "http://127.0.0.1:9199";
  s = auth::gcs_token_source(opts, env_of({}), http);
  EXPECT_EQ(s->token(), "");
  opts.gcs_endpoint.clear();
  s = auth::gcs_token_source(opts, env_of({{"GCE_METADATA_HOST", "127.0.0.1:1"}}), http);
  EXPECT_NE(s->describe().find("metadata"), std::string::npos);
  write_file(dir / "odd.json", R"({"type":"external_account"})");
  opts.credential_file = (dir / "odd.json").string();
  EXPECT_THROW(auth::gcs_token_source(opts, env_of({}), http), Error);
}

TEST(Encoding, Base64AndPercentEncoding) {
  EXPECT_EQ(http::base64("hello"), "aGVsbG8=");
  EXPECT_EQ(http::base64_decode("aGVsbG8="), "hello");
  EXPECT_EQ(http::base64_decode("aGVsbA=="), "hell");
  EXPECT_FALSE(http::base64_decode("abc").has_value());
  EXPECT_EQ(http::base64url("\xfb\xff"), "-_8");
  EXPECT_EQ(http::percent_encode("a b/c~_.-\xc3\xa4"), "a%20b%2Fc~_.-%C3%A4");
  EXPECT_EQ(http::percent_encode("a b/c", true), "a%20b/c");
  EXPECT_EQ(http::percent_decode("a%20b%2Fc"), "a b/c");
}

}  // namespace
}  // namespace dm::test
