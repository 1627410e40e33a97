#include "stores/backends.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>

#include "common/auth/gcs_token_source.h"
#include "common/http/http_client.h"
#include "common/store/gcs/gcs_store.h"
#include "common/store/local_store.h"
#include "common/store/s3/s3_store.h"
#include "stores/fake_gcs_server.h"
#include "support/test_support.h"

namespace dm::test {

namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::unique_ptr<store::S3Store> s3_store(const std::string& bucket) {
  return s3_store_on(s3_endpoint(), bucket);
}

}  // namespace

std::unique_ptr<store::S3Store> s3_store_on(const std::string& endpoint, const std::string& bucket) {
  store::S3Location loc;
  loc.endpoint = endpoint;
  loc.bucket = bucket;
  return std::make_unique<store::S3Store>(loc, auth::AwsCredentials{kS3AccessKey, kS3SecretKey, ""},
                                          std::make_shared<http::HttpClient>());
}

std::string s3_endpoint() {
  return env_or("DM_TEST_S3_ENDPOINT", "http://127.0.0.1:7480");
}
std::string gcs_endpoint() {
  return env_or("DM_TEST_GCS_ENDPOINT", "http://127.0.0.1:9199");
}

std::string unique_bucket(const std::string& tag) {
  static std::atomic<unsigned> counter{0};
  static const unsigned salt = std::random_device{}() % 100000;
  return "dmt-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(salt) + "-" + std::to_string(counter++);
}

void create_s3_bucket(const std::string& bucket) {
  s3_store(bucket)->create_bucket();
}

void enable_s3_versioning(const std::string& bucket) {
  s3_store(bucket)->enable_versioning();
}

Backend local_backend() {
  return {"local", [] {
            auto dir = std::make_shared<TempDir>();
            StoreHarness h;
            h.store = std::make_unique<store::LocalStore>(dir->path() / "bucket");
            h.keep_alive = dir;
            return h;
          }};
}

Backend s3_rgw_backend() {
  return {"s3_rgw", [] {
            const auto bucket = unique_bucket("s3");
            auto s = s3_store(bucket);
            s->create_bucket();
            StoreHarness h;
            h.store = std::move(s);
            return h;
          }};
}

Backend gcs_emulator_backend() {
  return {"gcs_emulator", [] {
            store::GcsLocation loc;
            loc.endpoint = gcs_endpoint();
            loc.bucket = unique_bucket("gcs");  // the emulator creates buckets on first use
            StoreHarness h;
            h.store = std::make_unique<store::GcsStore>(
                loc, std::make_shared<auth::StaticTokenSource>("", "no credentials (emulator)"),
                std::make_shared<http::HttpClient>());
            return h;
          }};
}

namespace {

Backend fake_gcs(const std::string& name, bool versioned) {
  return {name, [versioned] {
            auto server = std::make_shared<FakeGcsServer>();
            server->add_bucket("fake-bucket");
            if (versioned) server->enable_versioning("fake-bucket");
            store::GcsLocation loc;
            loc.endpoint = server->url();
            loc.bucket = "fake-bucket";
            StoreHarness h;
            h.store = std::make_unique<store::GcsStore>(loc, std::make_shared<auth::StaticTokenSource>("", "none"),
                                                        std::make_shared<http::HttpClient>());
            h.keep_alive = server;
            return h;
          }};
}

}  // namespace

Backend gcs_fake_backend() {
  return fake_gcs("gcs_fake", false);
}

Backend gcs_fake_versioned_backend() {
  return fake_gcs("gcs_fake_versioned", true);
}

Backend s3_rgw_versioned_backend() {
  return {"s3_rgw_versioned", [] {
            const auto bucket = unique_bucket("s3v");
            auto s = s3_store(bucket);
            s->create_bucket();
            s->enable_versioning();
            StoreHarness h;
            h.store = std::move(s);
            return h;
          }};
}

}  // namespace dm::test
