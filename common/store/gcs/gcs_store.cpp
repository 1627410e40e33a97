#include "common/store/gcs/gcs_store.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>

#include "common/http/encoding.h"
#include "common/store/gcs/gcs_json.h"
#include "common/util/crc32c.h"
#include "common/util/error.h"

namespace dm::store {

namespace {

// GCS says "The specified bucket does not exist." for a missing bucket and "No such object:
// bucket/name" for a missing object.
bool bucket_missing(const gcs::ErrorInfo& info) {
  return info.message.find("specified bucket does not exist") != std::string::npos;
}

std::string random_boundary() {
  static constexpr char kHex[] = "0123456789abcdef";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string b = "dm-part-";
  for (int i = 0; i < 32; ++i) b += kHex[rng() & 15];
  return b;
}

}  // namespace

std::optional<uint32_t> decode_gcs_crc32c(std::string_view text) {
  const auto raw = http::base64_decode(text);
  if (!raw || raw->size() != 4) return std::nullopt;
  const auto* b = reinterpret_cast<const uint8_t*>(raw->data());
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

std::string encode_gcs_crc32c(uint32_t crc) {
  const char be[4] = {static_cast<char>(crc >> 24), static_cast<char>(crc >> 16), static_cast<char>(crc >> 8),
                      static_cast<char>(crc)};
  return http::base64(std::string_view(be, 4));
}

GcsStore::GcsStore(GcsLocation location, std::shared_ptr<auth::TokenSource> tokens,
                   std::shared_ptr<http::HttpClient> http)
    : HttpObjectStore(location.prefix), loc_(std::move(location)), tokens_(std::move(tokens)), http_(std::move(http)) {
  loc_.endpoint = normalize_endpoint(loc_.endpoint, "GCS");
}

std::string GcsStore::describe() const {
  std::string d = "gs://" + loc_.bucket;
  if (!loc_.prefix.empty()) d += "/" + loc_.prefix.substr(0, loc_.prefix.size() - 1);
  return d;
}

std::string GcsStore::object_path(std::string_view name) const {
  if (name.empty()) throw Error(ErrorKind::InvalidArgument, "empty object name in " + describe());
  return loc_.endpoint + "/storage/v1/b/" + http::percent_encode(loc_.bucket) + "/o/" +
         http::percent_encode(loc_.prefix + std::string(name));
}

http::Response GcsStore::send(const http::Request& request) {
  std::string sent_token;  // of the last attempt
  auto authorize = [this, &sent_token](http::Request& r) {
    sent_token = tokens_->token();
    if (!sent_token.empty()) r.headers.emplace_back("Authorization", "Bearer " + sent_token);
  };
  try {
    auto r = http_->execute(request, authorize);
    if (r.status == 401) {  // an expired or revoked token: fetch a new one, once
      tokens_->invalidate(sent_token);
      r = http_->execute(request, authorize);
    }
    return r;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::PermissionDenied || e.kind() == ErrorKind::InvalidArgument) {
      throw Error(e.kind(), request.target + ": " + e.what());
    }
    throw;
  }
}

HttpFailure GcsStore::failure_of(const http::Response& answer, std::string_view) const {
  const auto info = gcs::parse_error(answer.body);
  HttpFailure failure;
  failure.service = "GCS";
  failure.code = info.reason;
  failure.bucket_missing = bucket_missing(info);
  failure.bucket = "gs://" + loc_.bucket;
  failure.denied_advice = " for " + tokens_->describe();
  return failure;
}

http::Response GcsStore::fetch(std::string_view name, const http::Headers& headers, http::BodySink* sink) {
  http::Request req;
  req.url = object_path(name) + "?alt=media";
  req.target = object_url(*this, name);
  req.headers = headers;
  req.sink = sink;
  return send(req);
}

std::optional<ObjectInfo> GcsStore::stat(std::string_view name) {
  http::Request req;
  req.url = object_path(name) + "?fields=size%2Ccrc32c%2Cupdated";
  req.target = object_url(*this, name);
  const auto r = send(req);
  if (r.status == 404 && !bucket_missing(gcs::parse_error(r.body))) return std::nullopt;
  if (r.status != 200) fail(r, name);
  const auto meta = gcs::parse_object_metadata(r.body, object_url(*this, name));
  ObjectInfo info;
  info.size = meta.size;
  info.crc32c = meta.crc32c;
  info.modified = meta.updated;
  return info;
}

http::Response GcsStore::upload(std::string_view name, std::string_view data, PutMode mode) {
  const uint32_t crc = crc32c(data);
  const nlohmann::json meta{{"name", loc_.prefix + std::string(name)}, {"crc32c", encode_gcs_crc32c(crc)}};
  std::string boundary = random_boundary();
  while (data.find(boundary) != std::string_view::npos) boundary = random_boundary();
  std::string body;
  body.reserve(data.size() + 512);
  body += "--" + boundary + "\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n" + meta.dump() + "\r\n";
  body += "--" + boundary + "\r\nContent-Type: application/octet-stream\r\n\r\n";
  body.append(data);
  body += "\r\n--" + boundary + "--\r\n";

  http::Request req;
  req.method = "POST";
  req.url = loc_.endpoint + "/upload/storage/v1/b/" + http::percent_encode(loc_.bucket) + "/o?uploadType=multipart";
  if (mode == PutMode::NoOverwrite) req.url += "&ifGenerationMatch=0";
  req.headers = {{"Content-Type", "multipart/related; boundary=" + boundary}};
  req.body = body;
  req.target = object_url(*this, name);
  auto answer = send(req);
  if (answer.ok()) check_stored_crc(answer, name, crc);
  return answer;
}

void GcsStore::check_stored_crc(const http::Response& answer, std::string_view name, uint32_t sent) const {
  try {
    const auto j = nlohmann::json::parse(answer.body);
    if (j.contains("crc32c") && j["crc32c"].is_string()) {
      const auto stored = decode_gcs_crc32c(j["crc32c"].get<std::string>());
      if (stored && *stored != sent) {
        throw Error(ErrorKind::Corrupt, object_url(*this, name) + ": stored CRC32C differs from the data sent");
      }
    }
  } catch (const nlohmann::json::exception&) {
  }
}

gcs::ListPage GcsStore::fetch_page(const std::string& query, const std::string& token, const std::string& what) {
  http::Request req;
  req.url = loc_.endpoint + "/storage/v1/b/" + http::percent_encode(loc_.bucket) + "/o?" + query;
  if (!token.empty()) req.url += "&pageToken=" + http::percent_encode(token);
  req.target = what;
  const auto r = send(req);
  if (r.status != 200) fail(r, "");
  return gcs::parse_list_page(r.body, describe());
}

GcsStore::ListPage GcsStore::fetch_list_page(const std::string& full_prefix, std::string_view delimiter,
                                             const std::string& token, const std::string& what) {
  std::string query = "fields=items(name)%2Cprefixes%2CnextPageToken&prefix=" + http::percent_encode(full_prefix);
  if (!delimiter.empty()) query += "&delimiter=" + http::percent_encode(delimiter);
  auto parsed = fetch_page(query, token, what);
  ListPage page;
  for (auto& name : parsed.items) page.entries.push_back({std::move(name), false});
  for (auto& p : parsed.prefixes) page.entries.push_back({std::move(p), true});
  page.next_token = std::move(parsed.next_page_token);
  return page;
}

bool GcsStore::is_versioned() {
  http::Request req;
  req.url = loc_.endpoint + "/storage/v1/b/" + http::percent_encode(loc_.bucket) + "?fields=versioning";
  req.target = describe() + " (versioning)";
  const auto r = send(req);
  // The Firebase emulator answers a bucket's metadata with "No such object": not a missing
  // object, and no answer to the question either.
  if (r.status == 404 && !bucket_missing(gcs::parse_error(r.body))) {
    throw Error(ErrorKind::Unavailable,
                req.target +
                    ": the server has no bucket metadata (HTTP 404), so it cannot tell whether the bucket "
                    "keeps versions");
  }
  if (r.status != 200) fail(r, "");
  return gcs::parse_bucket_versioning(r.body, req.target);
}

std::vector<std::string> GcsStore::list_versions(std::string_view name) {
  check_name(name);
  const std::string full_name = loc_.prefix + std::string(name);
  const std::string what = object_url(*this, name) + " (versions)";
  std::vector<std::pair<uint64_t, std::string>> found;  // generation, as text
  const auto query =
      "fields=items(name%2Cgeneration)%2CnextPageToken&versions=true&prefix=" + http::percent_encode(full_name);
  for_each_page(what, [&](const std::string& token) {
    auto page = fetch_page(query, token, what);
    for (size_t i = 0; i < page.items.size(); ++i) {
      if (page.items[i] != full_name) continue;  // the prefix also matches longer names
      const auto& generation = page.generations[i];
      if (generation.empty()) throw Error(ErrorKind::Unavailable, what + ": a version without a generation");
      if (found.size() == kMaxVersions) {
        throw Error(ErrorKind::Unavailable, what + ": more than " + std::to_string(kMaxVersions) + " versions");
      }
      found.emplace_back(std::stoull(generation), generation);
    }
    return std::move(page.next_page_token);
  });
  // Generations grow with each write: oldest first, as GCS lists them and Go prints them.
  std::sort(found.begin(), found.end());
  std::vector<std::string> versions;
  versions.reserve(found.size());
  for (auto& [number, text] : found) versions.push_back(std::move(text));
  return versions;
}

std::string GcsStore::read_version(std::string_view name, std::string_view version, uint64_t max_size) {
  const std::string what = object_url(*this, name) + " (generation " + dm::quoted(version) + ")";
  // A generation is an int64 in decimal (Go's GetVersion parses it so): nothing else reaches the URL.
  if (!gcs::is_generation(version))
    throw Error(ErrorKind::InvalidArgument, what + ": invalid GCS generation " + dm::quoted(version));
  http::Request req;
  req.url = object_path(name) + "?alt=media&generation=" + std::string(version);
  req.target = what;
  auto r = send(req);
  if (r.status == 404 && !bucket_missing(gcs::parse_error(r.body))) {
    throw Error(ErrorKind::NotFound, "object " + what + " not found");
  }
  if (r.status != 200) fail(r, name);
  if (r.body.size() > max_size) throw_too_large(name, max_size);
  return std::move(r.body);
}

void GcsStore::remove(std::string_view name) {
  http::Request req;
  req.method = "DELETE";
  req.url = object_path(name);
  req.target = object_url(*this, name);
  const auto r = send(req);
  if (r.status != 204 && r.status != 200) fail(r, name);
}

}  // namespace dm::store
