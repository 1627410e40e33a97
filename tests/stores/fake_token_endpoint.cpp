#include "stores/fake_token_endpoint.h"

#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <nlohmann/json.hpp>

#include "common/http/encoding.h"

namespace dm::test {

TestKey::TestKey() {
  key = EVP_RSA_gen(2048);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  private_pem.assign(data, static_cast<size_t>(len));
  BIO_free(bio);
}

TestKey::~TestKey() {
  EVP_PKEY_free(key);
}

bool TestKey::verify(const std::string& signed_part, const std::string& signature) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                   reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string base64url_decode(std::string s) {
  for (auto& c : s) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (s.size() % 4) s += '=';
  return http::base64_decode(s).value_or("");
}

FakeTokenEndpoint::FakeTokenEndpoint(const TestKey& key)
    : key_(key), server([this](const FakeRequest& r) { return handle(r); }) {}

std::string FakeTokenEndpoint::key_json() const {
  return nlohmann::json{{"type", "service_account"},
                        {"client_email", kClientEmail},
                        {"private_key", key_.private_pem},
                        {"private_key_id", "kid1"},
                        {"token_uri", token_uri()}}
      .dump();
}

FakeResponse FakeTokenEndpoint::handle(const FakeRequest& r) {
  if (status != 200) return {status, {{"Content-Type", "application/json"}}, R"({"error":"invalid_grant"})"};
  FakeRequest form = r;
  form.query = r.body;
  if (r.method != "POST" || r.path != "/token" ||
      form.param("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer") {
    last_error = "bad grant";
    return {400, {}, R"({"error":"unsupported_grant_type"})"};
  }
  const auto jwt = form.param("assertion");
  const auto d1 = jwt.find('.'), d2 = jwt.rfind('.');
  try {
    const auto header = nlohmann::json::parse(base64url_decode(jwt.substr(0, d1)));
    const auto claims = nlohmann::json::parse(base64url_decode(jwt.substr(d1 + 1, d2 - d1 - 1)));
    if (header["alg"] != "RS256" || !key_.verify(jwt.substr(0, d2), base64url_decode(jwt.substr(d2 + 1))) ||
        claims["iss"] != kClientEmail || claims["aud"] != token_uri() ||
        claims["scope"].get<std::string>().find("devstorage") == std::string::npos ||
        claims["exp"].get<long long>() - claims["iat"].get<long long>() != 3600) {
      last_error = "bad assertion";
      return {400, {}, R"({"error":"invalid_grant"})"};
    }
  } catch (const nlohmann::json::exception&) {
    last_error = "assertion is not a JWT";
    return {400, {}, R"({"error":"invalid_grant"})"};
  }
  ++issued;
  return {200,
          {{"Content-Type", "application/json"}},
          nlohmann::json{
              {"access_token", "tok-" + std::to_string(issued)}, {"expires_in", expires_in}, {"token_type", "Bearer"}}
              .dump()};
}

}  // namespace dm::test
