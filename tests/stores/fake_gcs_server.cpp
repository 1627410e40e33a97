#include "stores/fake_gcs_server.h"

#include <time.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "common/http/encoding.h"
#include "common/store/gcs/gcs_store.h"
#include "common/util/crc32c.h"

namespace dm::test {

namespace {

FakeResponse json_error(int status, const std::string& reason, const std::string& message) {
  nlohmann::json j{
      {"error", {{"code", status}, {"message", message}, {"errors", {{{"reason", reason}, {"message", message}}}}}}};
  return {status, {{"Content-Type", "application/json"}}, j.dump()};
}

nlohmann::json resource(const std::string& bucket, const std::string& name, const std::string& data, long long gen,
                        const std::string& updated) {
  return {{"kind", "storage#object"},
          {"bucket", bucket},
          {"name", name},
          {"size", std::to_string(data.size())},
          {"generation", std::to_string(gen)},
          {"updated", updated},
          {"crc32c", store::encode_gcs_crc32c(crc32c(data))}};
}

// Now as GCS writes `updated`: "2026-12-06T05:47:31.123Z".
std::string rfc3339_now() {
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string(buf) + "." + std::to_string(1000 + ms).substr(1) + "Z";
}

}  // namespace

FakeGcsServer::FakeGcsServer()
    : http_(std::make_unique<FakeHttpServer>([this](const FakeRequest& r) { return handle(r); })) {}

// The handler runs under FakeHttpServer's lock, and tests configure before they send, so
// setters take the same lock implicitly by being called between requests.
void FakeGcsServer::add_bucket(const std::string& bucket) {
  buckets_.insert(bucket);
}
void FakeGcsServer::require_token(const std::string& token) {
  token_ = token;
}
void FakeGcsServer::fail_next(unsigned n, int status, const std::string& method, const std::string& retry_after) {
  failures_left_ = n;
  failure_method_ = method;
  failure_status_ = status;
  failure_retry_after_ = retry_after;
}
void FakeGcsServer::fail_objects_matching(const std::string& name_part, int status) {
  failing_name_part_ = name_part;
  failing_name_status_ = status;
}
void FakeGcsServer::set_page_size(unsigned n) {
  page_size_ = n;
}
void FakeGcsServer::enable_versioning(const std::string& bucket) {
  versioned_buckets_.insert(bucket);
}

FakeResponse FakeGcsServer::handle(const FakeRequest& req) {
  if (failures_left_ > 0 && (failure_method_.empty() || failure_method_ == req.method)) {
    --failures_left_;
    auto r = json_error(failure_status_, "backendError", "injected failure");
    if (!failure_retry_after_.empty()) r.headers.emplace_back("Retry-After", failure_retry_after_);
    return r;
  }
  auto injected_for = [this](const std::string& object) {
    return !failing_name_part_.empty() && object.find(failing_name_part_) != std::string::npos;
  };
  if (!token_.empty() && req.header("authorization") != "Bearer " + token_) {
    return json_error(401, "authError", "Invalid Credentials");
  }
  const std::string upload_prefix = "/upload/storage/v1/b/";
  const std::string api_prefix = "/storage/v1/b/";
  const bool upload = req.path.rfind(upload_prefix, 0) == 0;
  if (!upload && req.path.rfind(api_prefix, 0) != 0) return json_error(404, "notFound", "Not Found");
  std::string rest = req.path.substr(upload ? upload_prefix.size() : api_prefix.size());
  const auto o = rest.find("/o");
  if (o == std::string::npos && !upload && req.method == "GET") {  // bucket metadata
    const std::string bucket = http::percent_decode(rest);
    if (!buckets_.count(bucket)) return json_error(404, "notFound", "The specified bucket does not exist.");
    const nlohmann::json j{{"versioning", {{"enabled", versioned_buckets_.count(bucket) > 0}}}};
    return {200, {{"Content-Type", "application/json"}}, j.dump()};
  }
  if (o == std::string::npos) return json_error(404, "notFound", "Not Found");
  const std::string bucket = http::percent_decode(rest.substr(0, o));
  const std::string name = rest.size() > o + 3 ? http::percent_decode(rest.substr(o + 3)) : "";
  if (!buckets_.count(bucket)) return json_error(404, "notFound", "The specified bucket does not exist.");
  auto& objects = objects_[bucket];
  auto& noncurrent = noncurrent_[bucket];
  const bool versioned = versioned_buckets_.count(bucket) > 0;

  if (upload && req.method == "POST") {
    const auto ct = req.header("content-type");
    const auto bpos = ct.find("boundary=");
    if (req.param("uploadType") != "multipart" || bpos == std::string::npos) {
      return json_error(400, "invalid", "only multipart uploads");
    }
    const std::string boundary = "--" + ct.substr(bpos + 9);
    const auto meta_start = req.body.find("\r\n\r\n") + 4;
    const auto meta_end = req.body.find("\r\n" + boundary, meta_start);
    const auto meta = nlohmann::json::parse(req.body.substr(meta_start, meta_end - meta_start));
    const auto data_start = req.body.find("\r\n\r\n", meta_end + 2) + 4;
    const auto data_end = req.body.rfind("\r\n" + boundary + "--");
    const std::string data = req.body.substr(data_start, data_end - data_start);
    const std::string obj_name = meta.at("name").get<std::string>();
    if (injected_for(obj_name)) return json_error(failing_name_status_, "backendError", "injected failure");
    if (meta.contains("crc32c") && meta["crc32c"].get<std::string>() != store::encode_gcs_crc32c(crc32c(data))) {
      return json_error(400, "invalid", "Provided CRC32C does not match");
    }
    if (req.has_param("ifGenerationMatch")) {
      const auto want = std::stoll(req.param("ifGenerationMatch"));
      const auto it = objects.find(obj_name);
      const long long have = it == objects.end() ? 0 : it->second.generation;
      if (want != have)
        return json_error(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.");
    }
    auto& obj = objects[obj_name];
    if (versioned && obj.generation != 0) noncurrent[obj_name].push_back(obj);
    obj.data = data;
    obj.generation = next_generation_++;
    obj.updated = rfc3339_now();
    return {200,
            {{"Content-Type", "application/json"}},
            resource(bucket, obj_name, obj.data, obj.generation, obj.updated).dump()};
  }
  if (name.empty() && req.method == "GET") {  // list
    const auto prefix = req.param("prefix");
    const auto delimiter = req.param("delimiter");
    const auto token = req.param("pageToken");
    const bool versions = req.param("versions") == "true";
    nlohmann::json items = nlohmann::json::array(), prefixes = nlohmann::json::array();
    std::string last;
    unsigned n = 0;
    std::string next;
    for (auto it = objects.lower_bound(std::max(prefix, token)); it != objects.end(); ++it) {
      if (it->first.compare(0, prefix.size(), prefix) != 0) break;
      if (!token.empty() && it->first < token) continue;
      std::string entry = it->first;
      bool is_prefix = false;
      if (!delimiter.empty()) {
        const auto d = it->first.find(delimiter, prefix.size());
        if (d != std::string::npos) {
          entry = it->first.substr(0, d + delimiter.size());
          is_prefix = true;
        }
      }
      if (is_prefix && entry == last) continue;
      if (n == page_size_) {
        next = it->first;
        break;
      }
      last = entry;
      ++n;
      if (is_prefix) {
        prefixes.push_back(entry);
        continue;
      }
      if (versions) {
        for (const auto& old : noncurrent[entry]) {
          items.push_back({{"name", entry}, {"generation", std::to_string(old.generation)}});
        }
      }
      items.push_back({{"name", entry}, {"generation", std::to_string(it->second.generation)}});
    }
    nlohmann::json j{{"kind", "storage#objects"}, {"items", items}, {"prefixes", prefixes}};
    if (!next.empty()) j["nextPageToken"] = next;
    return {200, {{"Content-Type", "application/json"}}, j.dump()};
  }
  if (injected_for(name)) return json_error(failing_name_status_, "backendError", "injected failure");
  if (req.method == "GET" && req.has_param("generation")) {  // a read by generation, live or not
    const auto generation = std::stoll(req.param("generation"));
    const auto live = objects.find(name);
    if (live != objects.end() && live->second.generation == generation) return {200, {}, live->second.data};
    for (const auto& old : noncurrent[name]) {
      if (old.generation == generation) return {200, {}, old.data};
    }
    return json_error(404, "notFound", "No such object: " + bucket + "/" + name);
  }
  const auto it = objects.find(name);
  if (it == objects.end()) return json_error(404, "notFound", "No such object: " + bucket + "/" + name);
  if (req.method == "DELETE") {
    if (versioned) noncurrent[name].push_back(it->second);
    objects.erase(it);
    return {204, {}, ""};
  }
  if (req.method == "GET" && req.param("alt") == "media") {
    const auto& data = it->second.data;
    const auto range = req.header("range");
    if (range.empty()) return {200, {}, data};
    const auto dash = range.find('-');
    const auto first = std::stoull(range.substr(6, dash - 6));
    auto last = std::stoull(range.substr(dash + 1));
    if (first >= data.size()) return json_error(416, "requestedRangeNotSatisfiable", "Requested range not satisfiable");
    last = std::min<unsigned long long>(last, data.size() - 1);
    return {206,
            {{"Content-Range",
              "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(data.size())}},
            data.substr(first, last - first + 1)};
  }
  if (req.method == "GET") {
    return {200,
            {{"Content-Type", "application/json"}},
            resource(bucket, name, it->second.data, it->second.generation, it->second.updated).dump()};
  }
  return json_error(400, "invalid", "unsupported request");
}

}  // namespace dm::test
