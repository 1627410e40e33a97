#include "common/store/s3/s3_store.h"

#include <fmt/format.h>
#include <time.h>

#include <algorithm>

#include "common/auth/crypto.h"
#include "common/http/encoding.h"
#include "common/store/list_pages.h"
#include "common/store/s3/s3_xml.h"
#include "common/util/error.h"

namespace dm::store {

namespace {

const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// S3 version ids are opaque tokens the server made (AWS: 32 URL-safe characters; RGW: about
// as many; "null" for an object written before versioning). One from a hostile listing goes into
// a query string (escaped there): refuse anything that is not a short run of printable ASCII.
void check_version_id(std::string_view version, const std::string& what) {
  const bool printable = std::all_of(version.begin(), version.end(), [](char c) { return c > ' ' && c < 0x7f; });
  if (version.empty() || version.size() > 1024 || !printable) {
    throw Error(ErrorKind::InvalidArgument, what + ": invalid S3 version id " + dm::quoted(version));
  }
}

}  // namespace

S3Store::S3Store(S3Location location, auth::AwsCredentials credentials, std::shared_ptr<http::HttpClient> http)
    : HttpObjectStore(location.prefix),
      loc_(std::move(location)),
      creds_(std::move(credentials)),
      http_(std::move(http)) {
  loc_.endpoint = normalize_endpoint(loc_.endpoint, "S3");
  host_ = endpoint_host(loc_.endpoint);
  scope_.region = loc_.region.empty() ? "us-east-1" : loc_.region;
}

std::string S3Store::describe() const {
  if (loc_.prefix.empty()) return fmt::format("s3://{}", loc_.bucket);
  return fmt::format("s3://{}/{}", loc_.bucket, std::string_view(loc_.prefix).substr(0, loc_.prefix.size() - 1));
}

http::Response S3Store::send(const std::string& method, std::string_view name,
                             std::vector<std::pair<std::string, std::string>> query, std::string_view body,
                             http::Headers headers, const std::string& target, http::BodySink* sink) {
  // Bucket-level requests (list, create) address "/bucket"; object requests "/bucket/key".
  std::string path = "/" + loc_.bucket;
  if (!name.empty()) path += "/" + http::percent_encode(loc_.prefix + std::string(name), true);
  std::string payload_hash = kEmptySha256;
  if (!body.empty() && loc_.payload_check == S3PayloadCheck::SignedSha256) {
    payload_hash = auth::sha256_hex(body);
  } else if (!body.empty()) {
    payload_hash = "UNSIGNED-PAYLOAD";
    headers.emplace_back("Content-MD5", http::base64(auth::md5(body)));
  }
  http::Request req;
  req.method = method;
  const auto canonical_query = auth::sigv4_canonical_query(query);
  req.url = loc_.endpoint + path + (canonical_query.empty() ? "" : "?" + canonical_query);
  req.body = body;
  req.target = target;
  req.sink = sink;
  auth::SigV4Request sig{method, host_, path, std::move(query), std::move(headers), payload_hash};
  return http_->execute(req, [this, sig = std::move(sig)](http::Request& r) {
    r.headers = auth::sigv4_sign(sig, creds_, scope_, std::chrono::system_clock::now());
  });
}

HttpFailure S3Store::failure_of(const http::Response& answer, std::string_view) const {
  HttpFailure failure;
  failure.service = "S3";
  failure.code = s3::xml_first(answer.body, "Code");
  failure.bucket_missing = failure.code == "NoSuchBucket";
  failure.bucket = "s3://" + loc_.bucket;
  failure.denied_advice = ", check the S3 credentials";
  failure.payload_rejected =
      answer.status == 400 && (failure.code == "BadDigest" || failure.code == "XAmzContentSHA256Mismatch");
  return failure;
}

http::Response S3Store::fetch(std::string_view name, const http::Headers& headers, http::BodySink* sink) {
  return send("GET", name, {}, {}, headers, object_url(*this, name), sink);
}

std::optional<ObjectInfo> S3Store::stat(std::string_view name) {
  check_name(name);
  const auto r = send("HEAD", name, {}, {}, {}, object_url(*this, name));
  if (r.status == 404) return std::nullopt;
  if (r.status != 200) fail(r, name);
  ObjectInfo info;
  try {
    info.size = std::stoull(r.header("content-length"));
  } catch (const std::exception&) {
    throw Error(ErrorKind::Unavailable, object_url(*this, name) + ": HEAD answer without a Content-Length");
  }
  // Last-Modified is an HTTP date, "Wed, 12 Oct 2009 17:50:00 GMT"; unparsable leaves it unset.
  const auto modified = r.header("last-modified");
  struct tm tm {};
  if (::strptime(modified.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) != nullptr) {
    info.modified = static_cast<int64_t>(::timegm(&tm));
  }
  return info;
}

http::Response S3Store::upload(std::string_view name, std::string_view data, PutMode mode) {
  http::Headers headers{{"Content-Type", "application/octet-stream"}};
  if (mode == PutMode::NoOverwrite) headers.emplace_back("If-None-Match", "*");
  return send("PUT", name, {}, data, headers, object_url(*this, name));
}

S3Store::ListPage S3Store::fetch_list_page(const std::string& full_prefix, std::string_view delimiter,
                                           const std::string& token, const std::string& what) {
  std::vector<std::pair<std::string, std::string>> query{{"list-type", "2"}, {"prefix", full_prefix}};
  if (!delimiter.empty()) query.emplace_back("delimiter", std::string(delimiter));
  if (!token.empty()) query.emplace_back("continuation-token", token);
  const auto r = send("GET", "", std::move(query), {}, {}, what);
  if (r.status != 200) fail(r, "");
  ListPage page;
  for (auto& key : s3::xml_values_in(r.body, "Contents", "Key")) page.entries.push_back({std::move(key), false});
  for (auto& p : s3::xml_values_in(r.body, "CommonPrefixes", "Prefix")) page.entries.push_back({std::move(p), true});
  if (s3::xml_first(r.body, "IsTruncated") != "true") return page;
  page.next_token = s3::xml_first(r.body, "NextContinuationToken");
  // Ending here would pass a truncated listing off as the whole one.
  if (page.next_token.empty()) {
    throw Error(ErrorKind::Unavailable, "listing " + what + ": a truncated page without a continuation token");
  }
  return page;
}

void S3Store::remove(std::string_view name) {
  // S3 answers 204 for a missing key too; the contract wants NotFound.
  if (!stat(name)) throw Error(ErrorKind::NotFound, "object " + object_url(*this, name) + " not found");
  const auto r = send("DELETE", name, {}, {}, {}, object_url(*this, name));
  if (r.status != 204 && r.status != 200) fail(r, name);
}

bool S3Store::is_versioned() {
  const std::string what = describe() + " (versioning)";
  const auto r = send("GET", "", {{"versioning", ""}}, {}, {}, what);
  if (r.status != 200) fail(r, "");
  // A bucket that never had versioning answers without <Status>; a suspended one "Suspended".
  return s3::xml_first(r.body, "Status") == "Enabled";
}

std::vector<std::string> S3Store::list_versions(std::string_view name) {
  check_name(name);
  const std::string key = loc_.prefix + std::string(name);
  const std::string what = object_url(*this, name) + " (versions)";
  std::vector<std::string> versions;  // newest first, as S3 lists one key's versions
  std::string key_marker, version_marker;
  ListPages pages(what);
  while (true) {
    std::vector<std::pair<std::string, std::string>> query{{"versions", ""}, {"prefix", key}};
    if (!key_marker.empty()) {
      query.emplace_back("key-marker", key_marker);
      query.emplace_back("version-id-marker", version_marker);
    }
    const auto r = send("GET", "", std::move(query), {}, {}, what);
    if (r.status != 200) fail(r, name);
    // <DeleteMarker> blocks (a deleted object's tombstones) are not versions with content.
    for (const auto block : s3::xml_blocks(r.body, "Version")) {
      if (s3::xml_first(block, "Key") != key) continue;  // the prefix also matches longer names
      auto id = s3::xml_first(block, "VersionId");
      check_version_id(id, what);
      if (versions.size() == kMaxVersions) {
        throw Error(ErrorKind::Unavailable, what + ": more than " + std::to_string(kMaxVersions) + " versions");
      }
      versions.push_back(std::move(id));
    }
    if (s3::xml_first(r.body, "IsTruncated") != "true") break;
    key_marker = s3::xml_first(r.body, "NextKeyMarker");
    version_marker = s3::xml_first(r.body, "NextVersionIdMarker");
    // Ending here would pass a truncated listing off as the whole one.
    if (key_marker.empty()) {
      throw Error(ErrorKind::Unavailable, "listing " + what + ": a truncated page without a key marker");
    }
    if (key_marker > key) break;  // the listing went past this object's versions
    pages.next(key_marker + '\n' + version_marker);
  }
  std::reverse(versions.begin(), versions.end());  // oldest first, as Go's GCS listing
  return versions;
}

std::string S3Store::read_version(std::string_view name, std::string_view version, uint64_t max_size) {
  check_name(name);
  const std::string what = object_url(*this, name) + " (version " + dm::quoted(version) + ")";
  check_version_id(version, what);
  auto r = send("GET", name, {{"versionId", std::string(version)}}, {}, {}, what);
  if (r.status == 404 && s3::xml_first(r.body, "Code") == "NoSuchVersion") {
    throw Error(ErrorKind::NotFound, "object " + what + " not found");
  }
  if (r.status != 200) fail(r, name);
  if (r.body.size() > max_size) throw_too_large(name, max_size);
  return std::move(r.body);
}

void S3Store::enable_versioning() {
  const std::string body =
      "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>Enabled</Status>"
      "</VersioningConfiguration>";
  const auto r =
      send("PUT", "", {{"versioning", ""}}, body, {{"Content-Type", "application/xml"}}, describe() + " (versioning)");
  if (!r.ok()) fail(r, "");
}

void S3Store::create_bucket() {
  const auto r = send("PUT", "", {}, {}, {}, describe());
  if (r.ok()) return;
  if (r.status == 409 && s3::xml_first(r.body, "Code") == "BucketAlreadyOwnedByYou") return;
  fail(r, "");
}

}  // namespace dm::store
