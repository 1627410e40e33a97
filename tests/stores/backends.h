// The store backends the stores suite runs against: LocalStore in a temp folder, S3Store on
// the Ceph RGW and GcsStore on the Firebase emulator that the ctest fixtures start (fixed
// 127.0.0.1 ports, overridable with DM_TEST_S3_ENDPOINT / DM_TEST_GCS_ENDPOINT), and GcsStore
// on FakeGcsServer. Every harness gets a fresh bucket of its own.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "common/store/s3/s3_store.h"
#include "common/store/store.h"

namespace dm::test {

std::string s3_endpoint();   // http://127.0.0.1:7480
std::string gcs_endpoint();  // http://127.0.0.1:9199
inline constexpr const char* kS3AccessKey = "TESTKEY";
inline constexpr const char* kS3SecretKey = "TESTSECRET";

// A bucket name no other test (or earlier run) uses.
std::string unique_bucket(const std::string& tag);

// An S3Store on `endpoint` (the RGW, or a FakeHttpServer) with the RGW's test keys.
std::unique_ptr<store::S3Store> s3_store_on(const std::string& endpoint, const std::string& bucket);

// Creates bucket `bucket` on the RGW.
void create_s3_bucket(const std::string& bucket);
// Enables versioning on the RGW's bucket `bucket` (PutBucketVersioning).
void enable_s3_versioning(const std::string& bucket);

struct StoreHarness {
  std::shared_ptr<void> keep_alive;  // a temp dir or a fake server
  std::unique_ptr<store::Store> store;
};

struct Backend {
  std::string name;
  std::function<StoreHarness()> make;
};

inline void PrintTo(const Backend& b, std::ostream* os) {
  *os << b.name;
}

// Test names of a suite instantiated over backends: "local", "s3_rgw", ...
inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param.name;
}

Backend local_backend();
Backend s3_rgw_backend();
Backend gcs_emulator_backend();
Backend gcs_fake_backend();
// The same on a bucket with versioning enabled (the Firebase emulator has no versioning).
Backend s3_rgw_versioned_backend();
Backend gcs_fake_versioned_backend();

}  // namespace dm::test
