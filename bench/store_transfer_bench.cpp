// Store throughput against a running S3 endpoint (RGW): parallel upload and download of
// leaf-sized objects, and the small-object GET rate. Not a test; bench/store_vs_curl.sh runs
// it beside curl on the same objects and parallelism.
//   store_transfer_bench ENDPOINT BUCKET TOTAL_MIB PARALLEL [OBJECT_KIB]
// Prints key=value lines; writes the object names to BUCKET.names for curl.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>

#include "common/store/s3/s3_store.h"
#include "common/util/thread_pool.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s ENDPOINT BUCKET TOTAL_MIB PARALLEL [OBJECT_KIB]\n", argv[0]);
    return 2;
  }
  const std::string endpoint = argv[1], bucket = argv[2];
  const size_t total_mib = std::strtoul(argv[3], nullptr, 10);
  const unsigned parallel = static_cast<unsigned>(std::strtoul(argv[4], nullptr, 10));
  const size_t object_kib = argc > 5 ? std::strtoul(argv[5], nullptr, 10) : 2048;
  const char* key = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  dm::store::S3Location loc{endpoint, "us-east-1", bucket, ""};
  dm::store::S3Store store(loc, {key ? key : "TESTKEY", secret ? secret : "TESTSECRET", ""},
                           std::make_shared<dm::http::HttpClient>());
  store.create_bucket();

  const size_t object_bytes = object_kib * 1024;
  const size_t count = total_mib * 1024 * 1024 / object_bytes;
  std::string data(object_bytes, '\0');
  std::mt19937_64 rng(42);
  for (size_t i = 0; i + 8 <= data.size(); i += 8) {
    const uint64_t v = rng();
    std::memcpy(data.data() + i, &v, 8);
  }
  auto name_of = [](size_t i) { return "leaf-" + std::to_string(i); };
  {
    std::ofstream names(bucket + ".names");
    for (size_t i = 0; i < count; ++i) names << name_of(i) << "\n";
  }
  // Each object differs in its first 8 bytes (so no server can dedupe).
  auto t = std::chrono::steady_clock::now();
  dm::parallel_for(count, parallel, [&](size_t i) {
    std::string body = data;
    std::memcpy(body.data(), &i, sizeof i);
    store.put(name_of(i), body, dm::store::PutMode::Overwrite);
  });
  const double up = seconds_since(t);
  t = std::chrono::steady_clock::now();
  std::atomic<uint64_t> bytes{0};
  dm::parallel_for(count, parallel, [&](size_t i) { bytes += store.get(name_of(i)).size(); });
  const double down = seconds_since(t);
  const double mib = static_cast<double>(count * object_bytes) / (1024.0 * 1024.0);
  std::printf("objects=%zu object_kib=%zu parallel=%u\n", count, object_kib, parallel);
  std::printf("upload_mib_per_s=%.1f upload_s=%.2f\n", mib / up, up);
  std::printf("download_mib_per_s=%.1f download_s=%.2f bytes=%llu\n", mib / down, down,
              static_cast<unsigned long long>(bytes.load()));

  // Small objects: 4 KiB GETs.
  constexpr size_t kSmall = 1000;
  const std::string small(4096, 's');
  dm::parallel_for(kSmall, parallel,
                   [&](size_t i) { store.put("small-" + std::to_string(i), small, dm::store::PutMode::Overwrite); });
  for (unsigned width : {1U, parallel}) {
    t = std::chrono::steady_clock::now();
    dm::parallel_for(kSmall, width, [&](size_t i) { store.get("small-" + std::to_string(i)); });
    std::printf("small_get_per_s_parallel_%u=%.0f\n", width, kSmall / seconds_since(t));
  }
  return 0;
}
