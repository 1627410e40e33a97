// One timed store operation against a running S3 or GCS endpoint, for bench/store_vs_curl.sh,
// which runs it beside curl on the same objects with the same parallelism. Not a test.
//
//   store_transfer_bench URL create-bucket
//   store_transfer_bench URL put DIR PREFIX PARALLEL     every file of DIR -> PREFIX<file name>
//   store_transfer_bench URL get DIR PREFIX PARALLEL     PREFIX<file name>, sizes checked
//   store_transfer_bench URL put-small COUNT PREFIX PARALLEL   COUNT objects of 4 KiB
//   store_transfer_bench URL get-small COUNT PREFIX PARALLEL
//   store_transfer_bench gs://bucket multipart-bodies DIR OUTDIR PREFIX
//       writes, for curl, the multipart upload body GcsStore sends for each file of DIR (object
//       PREFIX<file name>, with its crc32c); prints the boundary.
//
// URL is s3://bucket (endpoint from DATAMON_S3_ENDPOINT, keys from AWS_*) or gs://bucket
// (endpoint from STORAGE_EMULATOR_HOST). DM_BENCH_S3_PAYLOAD=md5 sends Content-MD5 with an
// unsigned payload instead of signing its SHA-256 (for comparing the two). Files are read into memory before the clock
// starts; prints "seconds=S mib_per_s=M ops_per_s=O cpu_s=C" (C: this process's CPU time).
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/auth/aws_credentials.h"
#include "common/config/config.h"
#include "common/http/http_client.h"
#include "common/store/gcs/gcs_store.h"
#include "common/store/open_store.h"
#include "common/store/s3/s3_store.h"
#include "common/util/crc32c.h"
#include "common/util/error.h"
#include "common/util/files.h"
#include "common/util/thread_pool.h"

namespace {

constexpr size_t kSmallBytes = 4096;

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::unique_ptr<dm::store::S3Store> open_s3(const std::string& url) {
  dm::store::S3Location loc;
  loc.endpoint = env_or("DATAMON_S3_ENDPOINT", "http://127.0.0.1:7480");
  loc.bucket = url.substr(5);
  if (env_or("DM_BENCH_S3_PAYLOAD", "sha256") == "md5") loc.payload_check = dm::store::S3PayloadCheck::ContentMd5;
  auto creds = dm::auth::load_aws_credentials(dm::config::process_env());
  if (!creds) throw dm::Error(dm::ErrorKind::PermissionDenied, "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  return std::make_unique<dm::store::S3Store>(loc, *creds, std::make_shared<dm::http::HttpClient>());
}

std::unique_ptr<dm::store::Store> open(const std::string& url) {
  if (url.rfind("s3://", 0) == 0) return open_s3(url);
  dm::store::StoreOptions options;
  options.env = dm::process_env();
  options.gcs_endpoint = env_or("STORAGE_EMULATOR_HOST", "");
  if (!options.gcs_endpoint.empty() && options.gcs_endpoint.find("://") == std::string::npos)
    options.gcs_endpoint = "http://" + options.gcs_endpoint;
  return dm::store::open_store(url, options);
}

struct Named {
  std::string name;
  std::string data;
};

std::vector<Named> read_dir(const std::string& dir) {
  std::vector<Named> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back({e.path().filename().string(), dm::read_file(e.path())});
  }
  std::sort(files.begin(), files.end(), [](const Named& a, const Named& b) { return a.name < b.name; });
  return files;
}

// The body of GcsStore::put: JSON metadata with the name and crc32c, then the media.
void write_multipart_bodies(const std::string& dir, const std::string& out_dir, const std::string& prefix) {
  const std::string boundary = "dm-bench-boundary-7f3a9c1e5b2d4068";
  for (const auto& f : read_dir(dir)) {
    const nlohmann::json meta{{"name", prefix + f.name}, {"crc32c", dm::store::encode_gcs_crc32c(dm::crc32c(f.data))}};
    std::string body = "--" + boundary + "\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n" + meta.dump() +
                       "\r\n--" + boundary + "\r\nContent-Type: application/octet-stream\r\n\r\n";
    body += f.data;
    body += "\r\n--" + boundary + "--\r\n";
    std::ofstream(std::filesystem::path(out_dir) / f.name, std::ios::binary) << body;
  }
  std::printf("%s\n", boundary.c_str());
}

// CPU seconds (user + system) this process has used so far.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

struct Timing {
  double seconds = 0;
  double cpu = 0;  // of this process during the operation
};

void report(const Timing& t, size_t ops, size_t bytes) {
  std::printf("seconds=%.3f mib_per_s=%.1f ops_per_s=%.0f cpu_s=%.3f\n", t.seconds,
              static_cast<double>(bytes) / (1024.0 * 1024.0) / t.seconds, static_cast<double>(ops) / t.seconds, t.cpu);
}

template <typename Fn>
Timing timed(Fn&& fn) {
  const auto t = std::chrono::steady_clock::now();
  const double cpu = cpu_seconds();
  fn();
  return {std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(), cpu_seconds() - cpu};
}

int run(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s URL create-bucket|put|get|put-small|get-small ...\n", argv[0]);
    return 2;
  }
  const std::string url = argv[1], op = argv[2];
  auto store = open(url);
  if (op == "create-bucket") {
    if (auto* s3 = dynamic_cast<dm::store::S3Store*>(store.get())) s3->create_bucket();
    return 0;  // GCS emulator buckets appear on first use
  }
  if (argc < 6) {
    std::fprintf(stderr, "%s: %s needs DIR|COUNT PREFIX PARALLEL\n", argv[0], op.c_str());
    return 2;
  }
  if (op == "multipart-bodies") {
    write_multipart_bodies(argv[3], argv[4], argv[5]);
    return 0;
  }
  const std::string prefix = argv[4];
  const unsigned parallel = static_cast<unsigned>(std::strtoul(argv[5], nullptr, 10));
  if (op == "put" || op == "get") {
    const auto files = read_dir(argv[3]);
    size_t bytes = 0;
    for (const auto& f : files) bytes += f.data.size();
    const Timing s = timed([&] {
      dm::parallel_for(files.size(), parallel, [&](size_t i) {
        const auto name = prefix + files[i].name;
        if (op == "put") {
          store->put(name, files[i].data, dm::store::PutMode::Overwrite);
        } else if (store->get(name).size() != files[i].data.size()) {  // curl checks no more
          throw dm::Error(dm::ErrorKind::Corrupt, dm::store::object_url(*store, name) + " has the wrong size");
        }
      });
    });
    report(s, files.size(), bytes);
    return 0;
  }
  if (op == "put-small" || op == "get-small") {
    const size_t count = std::strtoul(argv[3], nullptr, 10);
    const std::string small(kSmallBytes, 's');
    const Timing s = timed([&] {
      dm::parallel_for(count, parallel, [&](size_t i) {
        const auto name = prefix + std::to_string(i);
        if (op == "put-small") {
          store->put(name, small, dm::store::PutMode::Overwrite);
        } else if (store->get(name).size() != kSmallBytes) {
          throw dm::Error(dm::ErrorKind::Corrupt, dm::store::object_url(*store, name) + " has the wrong size");
        }
      });
    });
    report(s, count, count * kSmallBytes);
    return 0;
  }
  std::fprintf(stderr, "%s: unknown operation '%s'\n", argv[0], op.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "store_transfer_bench: error: %s\n", e.what());
    return 1;
  }
}
