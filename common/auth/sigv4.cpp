#include "common/auth/sigv4.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "common/auth/crypto.h"
#include "common/http/encoding.h"
#include "common/util/ascii.h"
#include "common/util/hex.h"

namespace dm::auth {

namespace {

// Header values are trimmed and inner runs of spaces collapsed (SigV4 canonical headers).
std::string canonical_value(const std::string& v) {
  std::string out;
  bool space = false;
  for (const char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string format_time(std::chrono::system_clock::time_point now, const char* fmt) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, fmt, &tm);
  return buf;
}

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

std::string sigv4_canonical_query(std::vector<std::pair<std::string, std::string>> query) {
  for (auto& [k, v] : query) {
    k = http::percent_encode(k);
    v = http::percent_encode(v);
  }
  std::sort(query.begin(), query.end());
  std::string out;
  for (const auto& [k, v] : query) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

http::Headers sigv4_sign(const SigV4Request& request, const AwsCredentials& creds, const SigV4Scope& scope,
                         std::chrono::system_clock::time_point now) {
  const std::string amz_date = format_time(now, "%Y%m%dT%H%M%SZ");
  const std::string date = amz_date.substr(0, 8);

  http::Headers out = request.headers;
  out.emplace_back("Host", request.host);
  out.emplace_back("x-amz-date", amz_date);
  out.emplace_back("x-amz-content-sha256", request.payload_sha256);
  if (!creds.session_token.empty()) out.emplace_back("x-amz-security-token", creds.session_token);

  std::map<std::string, std::string> canon;  // sorted by lower-case name
  for (const auto& [k, v] : out) {
    auto& slot = canon[ascii_lower(k)];
    slot = slot.empty() ? canonical_value(v) : slot + "," + canonical_value(v);
  }
  std::string canonical_headers, signed_headers;
  for (const auto& [k, v] : canon) {
    canonical_headers += k + ":" + v + "\n";
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += k;
  }
  const std::string canonical_request = request.method + "\n" + request.encoded_path + "\n" +
                                        sigv4_canonical_query(request.query) + "\n" + canonical_headers + "\n" +
                                        signed_headers + "\n" + request.payload_sha256;
  const std::string credential_scope = date + "/" + scope.region + "/" + scope.service + "/aws4_request";
  const std::string string_to_sign =
      "AWS4-HMAC-SHA256\n" + amz_date + "\n" + credential_scope + "\n" + sha256_hex(canonical_request);
  std::string key = hmac_sha256("AWS4" + creds.secret_access_key, date);
  key = hmac_sha256(key, scope.region);
  key = hmac_sha256(key, scope.service);
  key = hmac_sha256(key, "aws4_request");
  const std::string signature = to_hex(bytes(hmac_sha256(key, string_to_sign)));
  out.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + "/" + credential_scope +
                                        ", SignedHeaders=" + signed_headers + ", Signature=" + signature);
  return out;
}

}  // namespace dm::auth
