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

std::string host_of(const std::string& endpoint) {
  auto rest = endpoint.substr(endpoint.find("://") == std::string::npos ? 0 : endpoint.find("://") + 3);
  return rest.substr(0, rest.find('/'));
}

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
    : loc_(std::move(location)), creds_(std::move(credentials)), http_(std::move(http)) {
  while (!loc_.endpoint.empty() && loc_.endpoint.back() == '/') loc_.endpoint.pop_back();
  if (loc_.endpoint.find("://") == std::string::npos) loc_.endpoint = "http://" + loc_.endpoint;
  host_ = host_of(loc_.endpoint);
  scope_.region = loc_.region.empty() ? "us-east-1" : loc_.region;
}

std::string S3Store::describe() const {
  if (loc_.prefix.empty()) return fmt::format("s3://{}", loc_.bucket);
  return fmt::format("s3://{}/{}", loc_.bucket, std::string_view(loc_.prefix).substr(0, loc_.prefix.size() - 1));
}

http::Response S3Store::send(const std::string& method, std::string_view name,
                             std::vector<std::pair<std::string, std::string>> query, std::string_view body,
                             http::Headers headers, const std::string& target) {
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
  auth::SigV4Request sig{method, host_, path, std::move(query), std::move(headers), payload_hash};
  return http_->execute(req, [this, sig = std::move(sig)](http::Request& r) {
    r.headers = auth::sigv4_sign(sig, creds_, scope_, std::chrono::system_clock::now());
  });
}

void S3Store::fail(const http::Response& r, std::string_view name) const {
  const std::string what = name.empty() ? describe() : object_url(*this, name);
  const std::string code = s3::xml_first(r.body, "Code");
  const std::string detail = " (HTTP " + std::to_string(r.status) + (code.empty() ? "" : " " + code) + ")";
  if (r.status == 404 && code == "NoSuchBucket") {
    throw Error(ErrorKind::NotFound, what + ": bucket 's3://" + loc_.bucket + "' does not exist");
  }
  if (r.status == 404) throw Error(ErrorKind::NotFound, "object " + what + " not found");
  if (r.status == 401 || r.status == 403) {
    throw Error(ErrorKind::PermissionDenied, what + ": access denied, check the S3 credentials" + detail);
  }
  if (r.status == 412) throw Error(ErrorKind::AlreadyExists, "object " + what + " already exists");
  if (r.status == 400 && (code == "BadDigest" || code == "XAmzContentSHA256Mismatch")) {
    throw Error(ErrorKind::Corrupt, what + ": the server received other bytes than were sent" + detail);
  }
  if (http::retryable_status(r.status)) {
    throw Error(ErrorKind::Unavailable, what + ": S3 endpoint failing" + detail + " after " +
                                            std::to_string(r.attempts) + " attempts" + http::retry_after_note(r));
  }
  throw Error(ErrorKind::Unavailable, what + ": unexpected answer" + detail);
}

std::string S3Store::get(std::string_view name) {
  if (name.empty()) throw Error(ErrorKind::InvalidArgument, "empty object name in " + describe());
  auto r = send("GET", name, {}, {}, {}, object_url(*this, name));
  if (r.status != 200) fail(r, name);
  return std::move(r.body);  // leaves are megabytes: no copy
}

std::string S3Store::get_range(std::string_view name, uint64_t offset, uint64_t length) {
  if (length == 0) {
    if (!stat(name)) throw Error(ErrorKind::NotFound, "object " + object_url(*this, name) + " not found");
    return {};
  }
  const auto last = offset + length - 1;
  auto r = send("GET", name, {}, {}, {{"Range", "bytes=" + std::to_string(offset) + "-" + std::to_string(last)}},
                object_url(*this, name));
  if (r.status == 206) return std::move(r.body);
  if (r.status == 416) return {};  // offset at or past the end
  if (r.status == 200) {           // a server that ignores Range sends the whole object
    if (offset >= r.body.size()) return {};
    return r.body.substr(offset, length);
  }
  fail(r, name);
}

std::optional<ObjectInfo> S3Store::stat(std::string_view name) {
  if (name.empty()) throw Error(ErrorKind::InvalidArgument, "empty object name in " + describe());
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

void S3Store::put(std::string_view name, std::string_view data, PutMode mode) {
  if (name.empty()) throw Error(ErrorKind::InvalidArgument, "empty object name in " + describe());
  http::Headers headers{{"Content-Type", "application/octet-stream"}};
  if (mode == PutMode::NoOverwrite) headers.emplace_back("If-None-Match", "*");
  const auto r = send("PUT", name, {}, data, headers, object_url(*this, name));
  if (r.ok()) return;
  // A NoOverwrite PUT retried after a lost answer meets its own first attempt: same bytes, success.
  if (r.status == 412 && r.attempts > 1 && get(name) == data) return;
  fail(r, name);
}

void S3Store::list(std::string_view prefix, std::string_view delimiter,
                   const std::function<void(const ListEntry&)>& on_entry) {
  std::string token;
  const std::string full_prefix = loc_.prefix + std::string(prefix);
  const std::string what = describe() + " (list " + dm::quoted(prefix) + ")";
  ListPages pages(what);
  do {
    std::vector<std::pair<std::string, std::string>> query{{"list-type", "2"}, {"prefix", full_prefix}};
    if (!delimiter.empty()) query.emplace_back("delimiter", std::string(delimiter));
    if (!token.empty()) query.emplace_back("continuation-token", token);
    const auto r = send("GET", "", std::move(query), {}, {}, what);
    if (r.status != 200) fail(r, "");
    // Objects and common prefixes come in two sequences; both lie within this page's range, so
    // merging them per page keeps the whole listing in byte order.
    std::vector<ListEntry> page;
    for (auto& key : s3::xml_values_in(r.body, "Contents", "Key")) page.push_back({std::move(key), false});
    for (auto& p : s3::xml_values_in(r.body, "CommonPrefixes", "Prefix")) page.push_back({std::move(p), true});
    std::sort(page.begin(), page.end(), [](const ListEntry& a, const ListEntry& b) { return a.name < b.name; });
    for (auto& e : page) {
      if (e.name.compare(0, loc_.prefix.size(), loc_.prefix) != 0) continue;
      e.name.erase(0, loc_.prefix.size());
      on_entry(e);
    }
    if (s3::xml_first(r.body, "IsTruncated") != "true") break;
    token = s3::xml_first(r.body, "NextContinuationToken");
    // Ending here would pass a truncated listing off as the whole one.
    if (token.empty()) {
      throw Error(ErrorKind::Unavailable, "listing " + what + ": a truncated page without a continuation token");
    }
    pages.next(token);
  } while (true);
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
  if (name.empty()) throw Error(ErrorKind::InvalidArgument, "empty object name in " + describe());
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
  if (name.empty()) throw Error(ErrorKind::InvalidArgument, "empty object name in " + describe());
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
