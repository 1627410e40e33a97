#include "common/auth/gcs_token_source.h"

#include <nlohmann/json.hpp>

#include "common/auth/crypto.h"
#include "common/auth/token_source_cache.h"
#include "common/http/encoding.h"
#include "common/util/error.h"
#include "common/util/files.h"

namespace dm::auth {

namespace {

constexpr auto kRefreshMargin = std::chrono::seconds(60);
constexpr const char* kDefaultTokenUri = "https://oauth2.googleapis.com/token";
constexpr const char* kScope = "https://www.googleapis.com/auth/devstorage.full_control";

nlohmann::json parse_json(const std::string& text, const std::string& what) {
  try {
    auto j = nlohmann::json::parse(text);
    if (!j.is_object()) throw Error(ErrorKind::InvalidArgument, what + " is not a JSON object");
    return j;
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorKind::InvalidArgument, what + " is not valid JSON");
  }
}

std::string field(const nlohmann::json& j, const char* name, const std::string& what, bool required = true) {
  const auto it = j.find(name);
  if (it == j.end() || !it->is_string() || it->get<std::string>().empty()) {
    if (!required) return {};
    throw Error(ErrorKind::InvalidArgument, what + " has no '" + name + "'");
  }
  return it->get<std::string>();
}

http::Response post_form(http::HttpClient& http, const std::string& url, const std::string& body,
                         const std::string& who) {
  http::Request req;
  req.method = "POST";
  req.url = url;
  req.body = body;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.target = "token endpoint for " + who;
  return http.execute(req);
}

}  // namespace

std::string FetchedTokenSource::token() {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (token_.empty() || now >= refresh_at_) {
    auto f = fetch();
    ++fetches_;
    token_ = std::move(f.token);
    refresh_at_ = now + f.expires_in - kRefreshMargin;
  }
  return token_;
}

void FetchedTokenSource::invalidate(const std::string& rejected) {
  std::lock_guard lock(mutex_);
  if (token_ == rejected) token_.clear();
}

unsigned FetchedTokenSource::fetches() const {
  std::lock_guard lock(mutex_);
  return fetches_;
}

FetchedTokenSource::Fetched FetchedTokenSource::parse_token_response(const http::Response& r, const std::string& who) {
  if (!r.ok()) {
    std::string reason;
    try {
      const auto j = nlohmann::json::parse(r.body);
      if (j.is_object() && j.contains("error") && j["error"].is_string()) reason = " " + j["error"].get<std::string>();
    } catch (const nlohmann::json::exception&) {
    }
    const auto kind =
        (r.status == 400 || r.status == 401 || r.status == 403) ? ErrorKind::PermissionDenied : ErrorKind::Unavailable;
    throw Error(kind, "GCS credentials of " + who + " rejected by the token endpoint (HTTP " +
                          std::to_string(r.status) + reason + ")");
  }
  Fetched f;
  try {
    const auto j = nlohmann::json::parse(r.body);
    f.token = j.at("access_token").get<std::string>();
    f.expires_in = std::chrono::seconds(j.value("expires_in", 3600));
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorKind::Unavailable, "token endpoint for " + who + " sent an answer without access_token");
  }
  if (f.token.empty()) throw Error(ErrorKind::Unavailable, "token endpoint for " + who + " sent an empty token");
  return f;
}

ServiceAccountTokenSource::ServiceAccountTokenSource(const std::string& key_json, std::string file,
                                                     std::shared_ptr<http::HttpClient> http)
    : file_(std::move(file)), http_(std::move(http)) {
  const std::string what = "credentials file '" + file_ + "'";
  const auto j = parse_json(key_json, what);
  client_email_ = field(j, "client_email", what);
  private_key_ = field(j, "private_key", what);
  private_key_id_ = field(j, "private_key_id", what, false);
  token_uri_ = field(j, "token_uri", what, false);
  if (token_uri_.empty()) token_uri_ = kDefaultTokenUri;
}

std::string ServiceAccountTokenSource::make_jwt(std::chrono::system_clock::time_point now) const {
  nlohmann::json header{{"alg", "RS256"}, {"typ", "JWT"}};
  if (!private_key_id_.empty()) header["kid"] = private_key_id_;
  const auto iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const nlohmann::json claims{
      {"iss", client_email_}, {"scope", kScope}, {"aud", token_uri_}, {"iat", iat}, {"exp", iat + 3600}};
  const std::string signing_input = http::base64url(header.dump()) + "." + http::base64url(claims.dump());
  return signing_input + "." +
         http::base64url(rs256_sign(private_key_, signing_input, "credentials file '" + file_ + "'"));
}

FetchedTokenSource::Fetched ServiceAccountTokenSource::fetch() {
  const std::string body = "grant_type=" + http::percent_encode("urn:ietf:params:oauth:grant-type:jwt-bearer") +
                           "&assertion=" + make_jwt(std::chrono::system_clock::now());
  return parse_token_response(post_form(*http_, token_uri_, body, describe()), describe());
}

AuthorizedUserTokenSource::AuthorizedUserTokenSource(const std::string& json, std::string file,
                                                     std::shared_ptr<http::HttpClient> http)
    : file_(std::move(file)), http_(std::move(http)) {
  const std::string what = "credentials file '" + file_ + "'";
  const auto j = parse_json(json, what);
  client_id_ = field(j, "client_id", what);
  client_secret_ = field(j, "client_secret", what);
  refresh_token_ = field(j, "refresh_token", what);
  token_uri_ = field(j, "token_uri", what, false);
  if (token_uri_.empty()) token_uri_ = kDefaultTokenUri;
}

FetchedTokenSource::Fetched AuthorizedUserTokenSource::fetch() {
  const std::string body = "grant_type=refresh_token&client_id=" + http::percent_encode(client_id_) +
                           "&client_secret=" + http::percent_encode(client_secret_) +
                           "&refresh_token=" + http::percent_encode(refresh_token_);
  return parse_token_response(post_form(*http_, token_uri_, body, describe()), describe());
}

FetchedTokenSource::Fetched MetadataServerTokenSource::fetch() {
  http::Request req;
  req.url = "http://" + host_ + "/computeMetadata/v1/instance/service-accounts/default/token";
  req.headers = {{"Metadata-Flavor", "Google"}};
  req.target = describe();
  http::Response r;
  try {
    r = http_->execute(req);
  } catch (const Error& e) {
    throw Error(
        ErrorKind::PermissionDenied,
        "no GCS credentials: set GOOGLE_APPLICATION_CREDENTIALS or --credential (" + std::string(e.what()) + ")");
  }
  return parse_token_response(r, describe());
}

std::shared_ptr<TokenSource> gcs_token_source(const GcsAuthOptions& options, const EnvLookup& env,
                                              std::shared_ptr<http::HttpClient> http, TokenSourceCache* cache) {
  auto shared = [cache](const std::string& key, const std::function<std::shared_ptr<TokenSource>()>& make) {
    return cache ? cache->get_or_make(key, make) : make();
  };
  std::string file = options.credential_file;
  if (file.empty()) file = env("GOOGLE_APPLICATION_CREDENTIALS").value_or("");
  if (!file.empty()) {
    const std::string text = read_file(file);
    // The content's digest is part of the key: a rewritten (rotated) key file gets a new source.
    return shared("credentials file " + file + " sha256 " + sha256_hex(text), [&]() -> std::shared_ptr<TokenSource> {
      const std::string what = "credentials file '" + file + "'";
      const auto type = field(parse_json(text, what), "type", what);
      if (type == "service_account") return std::make_shared<ServiceAccountTokenSource>(text, file, http);
      if (type == "authorized_user") return std::make_shared<AuthorizedUserTokenSource>(text, file, http);
      throw Error(ErrorKind::InvalidArgument, what + " has type '" + type + "' (service_account or authorized_user)");
    });
  }
  if (auto token = env("GOOGLE_OAUTH_ACCESS_TOKEN")) {
    return std::make_shared<StaticTokenSource>(*token, "the token in GOOGLE_OAUTH_ACCESS_TOKEN");
  }
  if (!options.gcs_endpoint.empty()) return std::make_shared<StaticTokenSource>("", "no credentials (emulator)");
  const auto host = env("GCE_METADATA_HOST").value_or("metadata.google.internal");
  return shared("metadata server " + host, [&] { return std::make_shared<MetadataServerTokenSource>(host, http); });
}

}  // namespace dm::auth
