// FakeTokenEndpoint: an OAuth token endpoint on FakeHttpServer that checks the JWT-bearer grant
// of a service account the way Google's does (RS256 signature, iss, aud, scope, lifetime) and
// counts the tokens it issues (tok-1, tok-2, ...). A test double: no real token endpoint can
// run here. TestKey is the RSA key pair a test signs with.
#pragma once

#include <openssl/evp.h>

#include <string>

#include "stores/fake_http_server.h"

namespace dm::test {

struct TestKey {
  std::string private_pem;
  EVP_PKEY* key = nullptr;
  TestKey();
  ~TestKey();
  TestKey(const TestKey&) = delete;
  TestKey& operator=(const TestKey&) = delete;
  bool verify(const std::string& signed_part, const std::string& signature) const;
};

std::string base64url_decode(std::string s);

class FakeTokenEndpoint {
 public:
  static constexpr const char* kClientEmail = "robot@proj.iam.gserviceaccount.com";

  explicit FakeTokenEndpoint(const TestKey& key);

  // A service_account credentials file whose token_uri is this endpoint.
  std::string key_json() const;
  std::string token_uri() const { return server.url() + "/token"; }

  // Set before requests are sent.
  int expires_in = 3600;
  int status = 200;  // anything else: every grant is refused with {"error":"invalid_grant"}

  // Read after the requests.
  unsigned issued = 0;
  std::string last_error;

 private:
  FakeResponse handle(const FakeRequest& r);
  const TestKey& key_;

 public:
  FakeHttpServer server;  // last: stops before the state above goes
};

}  // namespace dm::test
