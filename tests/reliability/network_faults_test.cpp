// Network faults between datamon and a real Ceph RGW (the stores fixture's), made with
// nftables and tbf in a network namespace of the test's own (see netns_link.h; the kernel
// has no netem, so there is no delay here: latency is covered by FaultInjectingStore in
// tests/common). Under loss, resets, a bandwidth limit and stalls, `bundle upload` and
// `bundle download` either succeed byte-exact or fail with one line naming the bucket or
// object (never the secret), and a mount answers EIO for the reads the outage hits, keeps
// serving cached data, and recovers once the network is back.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "bin/exit_codes.h"
#include "common/auth/aws_credentials.h"
#include "common/http/http_client.h"
#include "common/store/s3/s3_store.h"
#include "common/util/fuse_mounts.h"
#include "reliability/netns_link.h"
#include "support/test_support.h"

namespace dm::test {
namespace {

namespace fs = std::filesystem;

constexpr int kRgwPort = 7480;
constexpr const char* kAccessKey = "TESTKEY";
constexpr const char* kSecretKey = "TESTSECRET";

using Tree = std::vector<std::pair<std::string, std::string>>;

class NetworkFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    link_ = std::make_unique<NetnsLink>(kRgwPort);
    static std::atomic<unsigned> counter{0};
    const std::string base = "dmrel-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
                             std::to_string(std::random_device{}() % 100000);
    for (const char* b : {"cfg", "blob", "meta", "vmeta", "wal", "rlog"}) {
      store::S3Location loc;
      loc.endpoint = "http://127.0.0.1:" + std::to_string(kRgwPort);
      loc.bucket = base + "-" + b;
      store::S3Store(loc, auth::AwsCredentials{kAccessKey, kSecretKey, ""}, std::make_shared<http::HttpClient>())
          .create_bucket();
    }
    env_ = {"DATAMON_GLOBAL_CONFIG=s3://" + base + "-cfg",
            "DATAMON_S3_ENDPOINT=" + link_->endpoint(),
            "DATAMON_CONFIG=/dev/null",
            "DATAMON_CONTEXT=rel",
            "DATAMON_NAME=reliability",
            std::string("AWS_ACCESS_KEY_ID=") + kAccessKey,
            std::string("AWS_SECRET_ACCESS_KEY=") + kSecretKey};
    const auto r = dm({"context", "create", "--context", "rel", "--blob", base + "-blob", "--meta", base + "-meta",
                       "--vmeta", base + "-vmeta", "--wal", base + "-wal", "--read-log", base + "-rlog"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(dm({"repo", "create", "--repo", "r", "--description", "network faults"}).exit_code, 0);
    base_ = base;
  }

  // datamon inside the namespace, with the S3 context's environment.
  RunResult dm(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{DATAMON_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(link_->inside(argv), env_);
  }

  // A failure must be one line naming the store (a bucket or an object in it), never a secret,
  // and exit with the code of an unavailable store, or of a corrupt one when the server saw
  // damaged bytes (bin/exit_codes.h).
  void expect_clear_failure(const RunResult& r, const std::string& what) {
    EXPECT_TRUE(r.exit_code == cli::exit_code(ErrorKind::Unavailable) ||
                r.exit_code == cli::exit_code(ErrorKind::Corrupt))
        << what << ": exit " << r.exit_code << ": " << r.err;
    EXPECT_EQ(r.err.find(kSecretKey), std::string::npos) << what << " printed the secret";
    const auto last =
        r.err.substr(r.err.rfind("datamon: error: ") == std::string::npos ? 0 : r.err.rfind("datamon: error: "));
    EXPECT_EQ(last.rfind("datamon: error: ", 0), 0U) << what << ": " << r.err;
    EXPECT_NE(last.find("s3://" + base_), std::string::npos) << what << " does not name the bucket: " << last;
    EXPECT_EQ(std::count(last.begin(), last.end(), '\n'), 1) << what << ": " << last;
  }

  static void make_tree(const fs::path& dir, int files, size_t size, uint64_t seed) {
    for (int i = 0; i < files; ++i) {
      write_file(dir / fmt::format("d{}", i % 3) / fmt::format("f{}", i), random_bytes(size + i * 997, seed + i));
    }
  }

  // Uploads `src` under `label`: the bundle id, or "" after a clear failure.
  std::string upload(const fs::path& src, const std::string& label) {
    const auto r = dm({"bundle", "upload", "--path", src.string(), "--repo", "r", "--message", "m", "--label", label});
    if (r.exit_code == 0) {
      const std::string marker = "Uploaded bundle id:";
      const auto at = r.out.find(marker);
      EXPECT_NE(at, std::string::npos) << r.out;
      if (at == std::string::npos) return {};
      return r.out.substr(at + marker.size(), r.out.find('\n', at) - at - marker.size());
    }
    expect_clear_failure(r, "upload of " + label);
    return {};
  }

  // Downloads bundle `id`: true when exact, false after a clear failure.
  bool download(const std::string& id, const fs::path& dest, const Tree& want) {
    fs::remove_all(dest);
    const auto r = dm({"bundle", "download", "--repo", "r", "--bundle", id, "--destination", dest.string()});
    if (r.exit_code != 0) {
      expect_clear_failure(r, "download of " + id);
      return false;
    }
    EXPECT_TRUE(tree_contents(dest, {".datamon"}) == want) << "download of " << id << " is not byte-exact";
    return true;
  }

  std::unique_ptr<NetnsLink> link_;
  std::string base_;
  std::vector<std::string> env_;
  TempDir dir_;
};

// "a , b , c" lines of a listing, split.
std::vector<std::vector<std::string>> listing(const std::string& out) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> cols;
    for (size_t at = 0;;) {
      const auto sep = line.find(" , ", at);
      cols.push_back(line.substr(at, sep == std::string::npos ? std::string::npos : sep - at));
      if (sep == std::string::npos) break;
      at = sep + 3;
    }
    rows.push_back(std::move(cols));
  }
  return rows;
}

TEST_F(NetworkFaults, LossAndResetsEitherSucceedExactlyOrFailNamingTheObject) {
  int uploads_ok = 0, uploads_failed = 0, downloads_ok = 0, downloads_failed = 0;
  constexpr int kRounds = 4;
  std::map<std::string, Tree> sources;  // by upload message
  for (int round = 0; round < kRounds; ++round) {
    const auto src = dir_ / fmt::format("src{}", round);
    make_tree(src, 12, 150 * 1024, 100 * round);
    const std::string message = fmt::format("round{}", round);
    sources[message] = tree_contents(src);
    link_->clear();
    link_->loss(round % 2 == 0 ? 3 : 8);
    link_->resets(round % 2 == 0 ? 1 : 3);
    const auto r = dm({"bundle", "upload", "--path", src.string(), "--repo", "r", "--message", message, "--label",
                       fmt::format("l{}", round)});
    if (r.exit_code != 0) {
      expect_clear_failure(r, fmt::format("upload of {}", message));
      ++uploads_failed;
      continue;
    }
    ++uploads_ok;
    const auto at = r.out.find("Uploaded bundle id:");
    ASSERT_NE(at, std::string::npos) << r.out;
    const auto id = r.out.substr(at + 19, r.out.find('\n', at) - at - 19);
    if (download(id, dir_ / "dest", sources[message]))
      ++downloads_ok;
    else
      ++downloads_failed;
  }
  link_->clear();
  EXPECT_GT(link_->packets_hit(), 0U) << "no packet was dropped or reset: the faults were not in the path";
  // Nothing lost or half-written: with the network back, every bundle the store lists (a
  // failed upload may still have committed its bundle) reads back exact, and every label
  // names a listed bundle.
  const auto bundles = dm({"bundle", "list", "--repo", "r"});
  ASSERT_EQ(bundles.exit_code, 0) << bundles.err;
  std::set<std::string> listed;
  for (const auto& row : listing(bundles.out)) {
    ASSERT_EQ(row.size(), 3U) << bundles.out;
    ASSERT_TRUE(sources.count(row[2])) << "unknown bundle message: " << row[2];
    EXPECT_TRUE(download(row[0], dir_ / "after", sources[row[2]])) << row[0];
    listed.insert(row[0]);
  }
  EXPECT_GE(listed.size(), static_cast<size_t>(uploads_ok));
  const auto labels = dm({"label", "list", "--repo", "r"});
  ASSERT_EQ(labels.exit_code, 0) << labels.err;
  for (const auto& row : listing(labels.out)) {
    ASSERT_GE(row.size(), 2U) << labels.out;
    EXPECT_TRUE(listed.count(row[1])) << "label " << row[0] << " names a bundle the store does not list";
  }
  std::printf(
      "reliability: network loss+resets rounds=%d faults=%d packets dropped/reset=%llu uploads ok=%d failed-clearly=%d "
      "downloads ok=%d "
      "failed-clearly=%d committed bundles re-read exact=%zu\n",
      kRounds, link_->faults_applied(), static_cast<unsigned long long>(link_->packets_hit()), uploads_ok,
      uploads_failed, downloads_ok, downloads_failed, listed.size());
  RecordProperty("network_uploads_ok", uploads_ok);
  RecordProperty("network_downloads_ok", downloads_ok);
}

TEST_F(NetworkFaults, BandwidthLimitAndStallsAreRiddenOutExactly) {
  const auto src = dir_ / "src";
  make_tree(src, 6, 200 * 1024, 7);
  const Tree want = tree_contents(src);
  link_->bandwidth("8mbit");
  const auto id = upload(src, "slow");
  ASSERT_FALSE(id.empty()) << "a bandwidth limit alone must not fail an upload";
  EXPECT_TRUE(download(id, dir_ / "dest", want));
  link_->clear();

  // A 3-second stall in the middle of a download: TCP retransmits once the path is back.
  int stalls = 0, finished = 0;
  for (int i = 0; i < 2; ++i) {
    link_->bandwidth("16mbit");  // long enough a transfer for the stall to land inside it
    std::atomic<bool> done{false};
    RunResult r;
    const auto dest = dir_ / fmt::format("stalled{}", i);
    std::thread runner([&] {
      r = dm({"bundle", "download", "--repo", "r", "--bundle", id, "--destination", dest.string()});
      done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200 + 150 * i));
    link_->stall();
    ++stalls;
    std::this_thread::sleep_for(std::chrono::seconds(3));
    link_->clear();
    runner.join();
    if (r.exit_code == 0) {
      ++finished;
      EXPECT_TRUE(tree_contents(dest, {".datamon"}) == want) << "download through a stall is not byte-exact";
    } else {
      expect_clear_failure(r, "download through a stall");
    }
  }
  EXPECT_TRUE(download(id, dir_ / "after", want));
  EXPECT_GT(link_->packets_hit(), 0U) << "the stalls dropped nothing: they did not land inside a transfer";
  std::printf(
      "reliability: network bandwidth=8mbit/16mbit stalls=%d of 3 s (packets dropped=%llu), downloads through "
      "a stall exact=%d\n",
      stalls, static_cast<unsigned long long>(link_->packets_hit()), finished);
}

// pread of the whole file; errno in `err` (0 when it read everything).
std::string read_all(const fs::path& path, size_t size, int& err) {
  err = 0;
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    err = errno;
    return {};
  }
  std::string out(size, '\0');
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, out.data() + done, size - done, static_cast<off_t>(done));
    if (n < 0) {
      err = errno;
      break;
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(done);
  return out;
}

TEST_F(NetworkFaults, MountAnswersEioDuringAnOutageAndRecovers) {
  const auto src = dir_ / "src";
  for (int i = 0; i < 4; ++i) write_file(src / fmt::format("f{}", i), random_bytes(300 * 1024 + i, 40 + i));
  const auto id = upload(src, "m");
  ASSERT_FALSE(id.empty());
  const auto point = dir_ / "mnt";
  fs::create_directories(point);
  const auto mounted = dm(
      {"bundle", "mount", "--repo", "r", "--bundle", id, "--mount", point.string(), "--prefetch", "0", "--daemonize"});
  ASSERT_EQ(mounted.exit_code, 0) << mounted.err;
  struct Unmount {
    fs::path point;
    ~Unmount() {
      if (run({"/usr/bin/fusermount3", "-u", point.string()}).exit_code != 0) dm::detach_fuse_mount_if_any(point);
    }
  } unmount{point};

  int err = 0;
  const auto f0 = read_all(point / "f0", 300 * 1024, err);
  ASSERT_EQ(err, 0) << std::strerror(err);
  ASSERT_TRUE(f0 == random_bytes(300 * 1024, 40));

  link_->outage();
  const auto t0 = std::chrono::steady_clock::now();
  (void)read_all(point / "f1", 300 * 1024 + 1, err);
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(err, EIO) << "a read that needs the store during an outage must fail with EIO, not "
                      << (err ? std::strerror(err) : "succeed");
  // A file already read is served from the cache: the outage affects only the reads that need the store.
  const auto again = read_all(point / "f0", 300 * 1024, err);
  EXPECT_EQ(err, 0) << std::strerror(err);
  EXPECT_TRUE(again == f0);

  link_->clear();
  const auto f1 = read_all(point / "f1", 300 * 1024 + 1, err);
  EXPECT_EQ(err, 0) << "the mount did not recover: " << std::strerror(err);
  EXPECT_TRUE(f1 == random_bytes(300 * 1024 + 1, 41));
  std::printf("reliability: mount outage: EIO after %.1f s, cached file served, recovered after the outage\n", seconds);
}

}  // namespace
}  // namespace dm::test
