// Bearer tokens for the GCS JSON API.
//
// Sources, in the order gcs_token_source() picks them: a credentials JSON (StoreOptions
// credential_file, else GOOGLE_APPLICATION_CREDENTIALS) of type service_account (a signed
// RS256 JWT exchanged at token_uri) or authorized_user (a refresh token); a static token in
// GOOGLE_OAUTH_ACCESS_TOKEN; none when an emulator endpoint is set; else the GCE/GKE metadata
// server (GCE_METADATA_HOST overrides its address). Fetched tokens are cached and fetched
// again a minute before they expire, or after invalidate() of the current one; given a TokenSourceCache, stores
// with the same credentials share one source. Thread-safe. Errors name the credentials file
// or account, never a key or token.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "common/auth/gcs_auth_options.h"
#include "common/http/http_client.h"
#include "common/util/env.h"

namespace dm::auth {

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // The current token; "" means send no Authorization header (emulators).
  virtual std::string token() = 0;
  // The server rejected `rejected`: forget it, if it is still the current token, so that the
  // next token() fetches a new one. (Many requests sharing a source may see the same rejection;
  // only the first one's report makes it fetch again.)
  virtual void invalidate(const std::string& rejected) { (void)rejected; }
  // For messages: "service account x@y", "metadata server", never the secret.
  virtual std::string describe() const = 0;
};

class StaticTokenSource final : public TokenSource {
 public:
  StaticTokenSource(std::string token, std::string origin) : token_(std::move(token)), origin_(std::move(origin)) {}
  std::string token() override { return token_; }
  std::string describe() const override { return origin_; }

 private:
  std::string token_;
  std::string origin_;
};

// Tokens that come from an endpoint with an expiry: cached, refreshed before expiry.
class FetchedTokenSource : public TokenSource {
 public:
  std::string token() override;
  void invalidate(const std::string& rejected) override;
  unsigned fetches() const;  // how many tokens were fetched (for tests)

 protected:
  struct Fetched {
    std::string token;
    std::chrono::seconds expires_in{0};
  };
  virtual Fetched fetch() = 0;
  // Parses {"access_token": ..., "expires_in": ...}; errors name `who`.
  static Fetched parse_token_response(const http::Response& r, const std::string& who);

 private:
  mutable std::mutex mutex_;
  std::string token_;
  std::chrono::steady_clock::time_point refresh_at_{};
  unsigned fetches_ = 0;
};

class ServiceAccountTokenSource final : public FetchedTokenSource {
 public:
  // `key_json` is the content of a service_account credentials file named `file`.
  ServiceAccountTokenSource(const std::string& key_json, std::string file, std::shared_ptr<http::HttpClient> http);
  std::string describe() const override { return "service account " + client_email_; }

  // The signed assertion (exposed for tests).
  std::string make_jwt(std::chrono::system_clock::time_point now) const;

 private:
  Fetched fetch() override;
  std::string file_, client_email_, private_key_, private_key_id_, token_uri_;
  std::shared_ptr<http::HttpClient> http_;
};

class AuthorizedUserTokenSource final : public FetchedTokenSource {
 public:
  AuthorizedUserTokenSource(const std::string& json, std::string file, std::shared_ptr<http::HttpClient> http);
  std::string describe() const override { return "authorized user of '" + file_ + "'"; }

 private:
  Fetched fetch() override;
  std::string file_, client_id_, client_secret_, refresh_token_, token_uri_;
  std::shared_ptr<http::HttpClient> http_;
};

class MetadataServerTokenSource final : public FetchedTokenSource {
 public:
  MetadataServerTokenSource(std::string host, std::shared_ptr<http::HttpClient> http)
      : host_(std::move(host)), http_(std::move(http)) {}
  std::string describe() const override { return "GCE metadata server " + host_; }

 private:
  Fetched fetch() override;
  std::string host_;
  std::shared_ptr<http::HttpClient> http_;
};

class TokenSourceCache;

// The token source for `options` and `env`; with a `cache`, the one already made there for the
// same credentials file (path and content) or metadata server.
std::shared_ptr<TokenSource> gcs_token_source(const GcsAuthOptions& options, const EnvLookup& env,
                                              std::shared_ptr<http::HttpClient> http,
                                              TokenSourceCache* cache = nullptr);

}  // namespace dm::auth
