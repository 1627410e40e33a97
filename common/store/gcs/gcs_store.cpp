#include "common/store/gcs/gcs_store.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>

#include "common/http/encoding.h"
#include "common/store/gcs/gcs_json.h"
#include "common/store/list_pages.h"
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
    : loc_(std::move(location)), tokens_(std::move(tokens)), http_(std::move(http)) {
  while (!loc_.endpoint.empty() && loc_.endpoint.back() == '/') loc_.endpoint.pop_back();
  if (loc_.endpoint.find("://") == std::string::npos) loc_.endpoint = "http://" + loc_.endpoint;
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

void GcsStore::fail(const http::Response& r, std::string_view name) const {
  const std::string what = name.empty() ? describe() : object_url(*this, name);
  const auto info = gcs::parse_error(r.body);
  const std::string detail =
      " (HTTP " + std::to_string(r.status) + (info.reason.empty() ? "" : " " + info.reason) + ")";
  if (r.status == 404 && bucket_missing(info)) {
    throw Error(ErrorKind::NotFound, what + ": bucket 'gs://" + loc_.bucket + "' does not exist");
  }
  if (r.status == 404) throw Error(ErrorKind::NotFound, "object " + what + " not found");
  if (r.status == 401 || r.status == 403) {
    throw Error(ErrorKind::PermissionDenied, what + ": access denied for " + tokens_->describe() + detail);
  }
  if (r.status == 412) throw Error(ErrorKind::AlreadyExists, "object " + what + " already exists");
  if (http::retryable_status(r.status)) {
    throw Error(ErrorKind::Unavailable, what + ": GCS endpoint failing" + detail + " after " +
                                            std::to_string(r.attempts) + " attempts" + http::retry_after_note(r));
  }
  throw Error(ErrorKind::Unavailable, what + ": unexpected answer" + detail);
}

std::string GcsStore::get(std::string_view name) {
  http::Request req;
  req.url = object_path(name) + "?alt=media";
  req.target = object_url(*this, name);
  auto r = send(req);
  if (r.status != 200) fail(r, name);
  return std::move(r.body);  // leaves are megabytes: no copy
}

std::string GcsStore::get_range(std::string_view name, uint64_t offset, uint64_t length) {
  if (length == 0) {
    if (!stat(name)) throw Error(ErrorKind::NotFound, "object " + object_url(*this, name) + " not found");
    return {};
  }
  http::Request req;
  req.url = object_path(name) + "?alt=media";
  req.target = object_url(*this, name);
  req.headers = {{"Range", "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1)}};
  auto r = send(req);
  if (r.status == 206) return std::move(r.body);
  if (r.status == 416) return {};
  if (r.status == 200) {  // the emulator answers a range past the end with the whole object
    if (offset >= r.body.size()) return {};
    return r.body.substr(offset, length);
  }
  fail(r, name);
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

void GcsStore::put(std::string_view name, std::string_view data, PutMode mode) {
  const std::string full_name = loc_.prefix + std::string(name);
  if (name.empty()) throw Error(ErrorKind::InvalidArgument, "empty object name in " + describe());
  const uint32_t crc = crc32c(data);
  const nlohmann::json meta{{"name", full_name}, {"crc32c", encode_gcs_crc32c(crc)}};
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
  // Whole-object writes are idempotent: a repeat leaves the same bytes (and NoOverwrite is
  // checked below when the repeat meets its own first attempt).
  const auto r = send(req);
  if (r.status == 412 && r.attempts > 1 && get(name) == data) return;
  if (!r.ok()) fail(r, name);
  try {
    const auto j = nlohmann::json::parse(r.body);
    if (j.contains("crc32c") && j["crc32c"].is_string()) {
      const auto stored = decode_gcs_crc32c(j["crc32c"].get<std::string>());
      if (stored && *stored != crc) {
        throw Error(ErrorKind::Corrupt, object_url(*this, name) + ": stored CRC32C differs from the data sent");
      }
    }
  } catch (const nlohmann::json::exception&) {
  }
}

void GcsStore::list_pages(const std::string& query, const std::string& what,
                          const std::function<void(gcs::ListPage& page)>& on_page) {
  std::string token;
  ListPages pages(what);
  do {
    http::Request req;
    req.url = loc_.endpoint + "/storage/v1/b/" + http::percent_encode(loc_.bucket) + "/o?" + query;
    if (!token.empty()) req.url += "&pageToken=" + http::percent_encode(token);
    req.target = what;
    const auto r = send(req);
    if (r.status != 200) fail(r, "");
    auto parsed = gcs::parse_list_page(r.body, describe());
    token = parsed.next_page_token;
    on_page(parsed);
    if (!token.empty()) pages.next(token);
  } while (!token.empty());
}

void GcsStore::list(std::string_view prefix, std::string_view delimiter,
                    const std::function<void(const ListEntry&)>& on_entry) {
  std::string query =
      "fields=items(name)%2Cprefixes%2CnextPageToken&prefix=" + http::percent_encode(loc_.prefix + std::string(prefix));
  if (!delimiter.empty()) query += "&delimiter=" + http::percent_encode(delimiter);
  list_pages(query, describe() + " (list " + dm::quoted(prefix) + ")", [&](gcs::ListPage& parsed) {
    std::vector<ListEntry> page;
    for (auto& name : parsed.items) page.push_back({std::move(name), false});
    for (auto& p : parsed.prefixes) page.push_back({std::move(p), true});
    // Items and prefixes of one page lie within that page's range: merging per page keeps the
    // whole listing in byte order.
    std::sort(page.begin(), page.end(), [](const ListEntry& a, const ListEntry& b) { return a.name < b.name; });
    for (auto& e : page) {
      if (e.name.compare(0, loc_.prefix.size(), loc_.prefix) != 0) continue;
      e.name.erase(0, loc_.prefix.size());
      on_entry(e);
    }
  });
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
  const std::string full_name = loc_.prefix + std::string(name);
  if (name.empty()) throw Error(ErrorKind::InvalidArgument, "empty object name in " + describe());
  const std::string what = object_url(*this, name) + " (versions)";
  std::vector<std::pair<uint64_t, std::string>> found;  // generation, as text
  list_pages("fields=items(name%2Cgeneration)%2CnextPageToken&versions=true&prefix=" + http::percent_encode(full_name),
             what, [&](gcs::ListPage& page) {
               for (size_t i = 0; i < page.items.size(); ++i) {
                 if (page.items[i] != full_name) continue;  // the prefix also matches longer names
                 const auto& generation = page.generations[i];
                 if (generation.empty()) throw Error(ErrorKind::Unavailable, what + ": a version without a generation");
                 if (found.size() == kMaxVersions) {
                   throw Error(ErrorKind::Unavailable,
                               what + ": more than " + std::to_string(kMaxVersions) + " versions");
                 }
                 found.emplace_back(std::stoull(generation), generation);
               }
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
