// Prefetch on real mounts (issue 14): a folder walked in listing order is fetched ahead of its
// reader, files read at random are fetched whole (when they fit the cache, else around each
// read), guesses stay within their budget and never
// turn into errors of their own, --prefetch 0 issues none, and --preload fills a disk cache
// that a later mount reads without the store.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include "common/cafs/root_blob.h"
#include "common/model/catalog.h"
#include "common/util/unique_fd.h"
#include "fusefs/fuse_fixture.h"
#include "fusefs/mount.h"

namespace dm::test {
namespace {

namespace fs = std::filesystem;

using PrefetchTest = MountTestBase;

std::string metrics_flag(int port) {
  return "127.0.0.1:" + std::to_string(port);
}

std::string small_name(size_t i) {
  return fmt::format("f{:03}", i);
}

// Small files named f000, f001, ... in `dir` (listing order = name order).
std::vector<std::string> write_small_files(const fs::path& dir, size_t count, uint64_t seed) {
  std::vector<std::string> contents;
  for (size_t i = 0; i < count; ++i) {
    contents.push_back(random_bytes(4096 + i * 7, seed + i));
    write_file(dir / small_name(i), contents.back());
  }
  return contents;
}

TEST_F(PrefetchTest, ADirectoryWalkIsFetchedAheadOfItsReaderAndStaysByteExact) {
  const auto src = work / "src";
  const auto contents = write_small_files(src / "d", 60, 100);
  const auto id = ctx.upload(src);
  const int port = free_port();
  MountProcess m(ctx, id, mnt, {"--metrics-addr", metrics_flag(port), "--prefetch", "16"});
  ASSERT_TRUE(m.ready()) << m.log();

  // One cold read: the next 16 files of the folder come without being asked for.
  EXPECT_EQ(read_file(mnt / "d" / small_name(0)), contents[0]);
  const double fetched = wait_for_metric(port, "datamon_store_leaves_fetched_total", [](double v) { return v >= 17; });
  EXPECT_EQ(fetched, 17);  // file 0 and the 16 after it, each leaf once
  const auto first = scrape_metrics(port);
  EXPECT_EQ(metric_value(first, "datamon_prefetch_issued_total{kind=\"directory\"}"), 16) << first;

  for (size_t i = 1; i < contents.size(); ++i) {
    EXPECT_EQ(read_file(mnt / "d" / small_name(i)), contents[i]) << small_name(i);
  }
  const auto after = scrape_metrics(port);
  // Every file fetched once, whether by the reader or ahead of it.
  EXPECT_EQ(metric_value(after, "datamon_store_leaves_fetched_total"), 60) << after;
  EXPECT_GE(metric_value(after, "datamon_prefetch_used_total"), 16) << after;
  EXPECT_EQ(metric_value(after, "datamon_prefetch_wasted_total"), 0) << after;
  EXPECT_GT(metric_value(after, "datamon_prefetch_bytes_total"), 0) << after;
}

TEST_F(PrefetchTest, AJumpBackInAFolderStillFetchesTheFilesAfterTheNewPlace) {
  const auto src = work / "src";
  const auto contents = write_small_files(src / "d", 30, 300);
  const auto id = ctx.upload(src);
  const int port = free_port();
  MountProcess m(ctx, id, mnt, {"--metrics-addr", metrics_flag(port), "--prefetch", "8"});
  ASSERT_TRUE(m.ready()) << m.log();

  EXPECT_EQ(read_file(mnt / "d" / small_name(20)), contents[20]);  // f021..f028 come ahead
  EXPECT_EQ(wait_for_metric(port, "datamon_store_leaves_fetched_total", [](double v) { return v >= 9; }), 9);
  // A reader that starts over from the top: f001..f008 come ahead of it too (a folder's record
  // of what was queued is a run of files, not a high-water mark).
  EXPECT_EQ(read_file(mnt / "d" / small_name(0)), contents[0]);
  EXPECT_EQ(wait_for_metric(port, "datamon_store_leaves_fetched_total", [](double v) { return v >= 18; }), 18);
  EXPECT_EQ(metric_value(scrape_metrics(port), "datamon_prefetch_issued_total{kind=\"directory\"}"), 16);
  for (size_t i = 1; i <= 8; ++i) EXPECT_EQ(read_file(mnt / "d" / small_name(i)), contents[i]) << small_name(i);
  const auto after = scrape_metrics(port);
  EXPECT_GE(metric_value(after, "datamon_prefetch_used_total"), 8) << after;  // the eight were read from the guesses
}

TEST_F(PrefetchTest, TheFilesAroundAFirstReadHaveTheirLeafListsFetchedAndNothingMore) {
  const auto src = work / "src";
  const auto contents = write_small_files(src / "d", 10, 400);
  const auto id = ctx.upload(src);
  const auto entries = ctx.stores().catalog().get_entries("repo", ctx.stores().catalog().get_bundle("repo", id));
  const int port = free_port();
  MountProcess m(ctx, id, mnt, {"--metrics-addr", metrics_flag(port), "--prefetch", "16"});
  ASSERT_TRUE(m.ready()) << m.log();

  // The last file first: nothing lies ahead of it, and the nine before it get their leaf lists.
  EXPECT_EQ(read_file(mnt / "d" / small_name(9)), contents[9]);
  EXPECT_EQ(wait_for_metric(port, "datamon_prefetch_leaf_lists_total", [](double v) { return v >= 9; }), 9);
  EXPECT_EQ(metric_value(scrape_metrics(port), "datamon_store_leaves_fetched_total"), 1);
  // Their root blobs are gone from the store now: the lists read ahead are what serves them.
  size_t removed = 0;
  for (const auto& e : entries) {
    if (e.name != "d/" + small_name(9)) removed += fs::remove(ctx.blob_dir() / e.hash) ? 1 : 0;
  }
  ASSERT_EQ(removed, 9u);
  for (size_t i = 0; i < 9; ++i) {
    int err = 0;
    EXPECT_EQ(pread_all(mnt / "d" / small_name(i), 0, 1 << 20, &err), contents[i]) << small_name(i);
    EXPECT_EQ(err, 0) << small_name(i);
  }
}

TEST_F(PrefetchTest, AHeaderReadFetchesNothingMoreOfItsFileUntilItsReaderReadsOn) {
  const auto src = work / "src";
  const auto content = random_bytes(5 * kMiB + 17, 500);  // three leaves, "small" (whole on a confirmed read)
  write_file(src / "only" / "three.bin", content);
  const auto id = ctx.upload(src);
  const int port = free_port();
  MountProcess m(ctx, id, mnt, {"--metrics-addr", metrics_flag(port)});
  ASSERT_TRUE(m.ready()) << m.log();

  EXPECT_EQ(pread_all(mnt / "only" / "three.bin", 0, 4096), content.substr(0, 4096));
  // A guess would have been queued when the read returned: give it time to show, then check none ran.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto header = scrape_metrics(port);
  EXPECT_EQ(metric_value(header, "datamon_store_leaves_fetched_total"), 1) << header;
  // Reading on (within a leaf of where it stopped, past what the kernel read ahead) confirms the
  // reader: the rest of the small file comes whole.
  EXPECT_EQ(pread_all(mnt / "only" / "three.bin", 3 * kMiB / 2, 4096), content.substr(3 * kMiB / 2, 4096));
  EXPECT_EQ(wait_for_metric(port, "datamon_store_leaves_fetched_total", [](double v) { return v >= 3; }), 3);
  EXPECT_EQ(read_file(mnt / "only" / "three.bin"), content);
  EXPECT_EQ(metric_value(scrape_metrics(port), "datamon_store_leaves_fetched_total"), 3);
}

// Whether this build (and so the datamon it runs, built alongside) has a sanitizer: GCC says so
// with __SANITIZE_*__, clang (the sanitizer stages' compiler) with __has_feature.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// VmHWM of a process, in bytes.
uint64_t peak_rss(pid_t pid) {
  const auto status = read_file(fmt::format("/proc/{}/status", pid));
  const auto at = status.find("VmHWM:");
  if (at == std::string::npos) return 0;
  return std::stoull(status.substr(at + 6)) * 1024;
}

TEST_F(PrefetchTest, ASequentialReadOfAFileLargerThanTheCacheStaysWithinTheRamBudget) {
  if (kSanitized)
    GTEST_SKIP() << "a sanitizer's shadow memory and quarantine make RSS say nothing of the mount's budget";
  const auto src = work / "src";
  const auto content = random_bytes(1024 * kMiB, 600);
  write_file(src / "big.bin", content);
  const auto id = ctx.upload(src);
  const int port = free_port();
  MountProcess m(ctx, id, mnt, {"--metrics-addr", metrics_flag(port)});
  ASSERT_TRUE(m.ready()) << m.log();
  const uint64_t before = peak_rss(m.pid());
  ASSERT_GT(before, 0U) << "no VmHWM in /proc/" << m.pid() << "/status";
  {
    // As fast a reader as cat: 128 KiB reads into one buffer, compared as they come.
    UniqueFd fd(::open((mnt / "big.bin").c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    std::vector<char> buffer(128 * 1024);
    uint64_t at = 0;
    bool same = true;
    for (;;) {
      const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
      ASSERT_GE(n, 0) << std::strerror(errno);
      if (n == 0) break;
      same = same && content.compare(at, static_cast<size_t>(n), buffer.data(), static_cast<size_t>(n)) == 0;
      at += static_cast<uint64_t>(n);
    }
    EXPECT_TRUE(same);
    EXPECT_EQ(at, content.size());
  }
  // The RAM tier (256 MiB by default), the idle leaf buffers and the leaves in flight. Readahead
  // queues a leaf again as its window moves, and those copies kept each leaf they had seen fetched
  // until they ran: before the fix the peak grew by about the whole file read.
  const uint64_t after = peak_rss(m.pid());
  ASSERT_GE(after, before);
  const uint64_t grown = after - before;
  EXPECT_LT(grown, 400 * kMiB) << "peak RSS grew by " << grown / kMiB << " MiB reading 1 GiB with a 256 MiB cache";
}

TEST_F(PrefetchTest, EightConcurrentReadersAtRandomOffsetsReadExactBytes) {
  const auto src = work / "src";
  const auto content = random_bytes(21 * kMiB + 333, 9);
  write_file(src / "big.bin", content);
  const auto id = ctx.upload(src);
  const int port = free_port();
  MountProcess m(ctx, id, mnt, {"--metrics-addr", metrics_flag(port)});
  ASSERT_TRUE(m.ready()) << m.log();
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 8; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<uint64_t>(t) + 1);
      for (int n = 0; n < 150; ++n) {
        const uint64_t offset = rng() % content.size();
        const size_t length = 1 + rng() % (600 * 1024);
        const auto got = pread_all(mnt / "big.bin", offset, length);
        if (got != content.substr(offset, length)) ++bad;
      }
    });
  }
  for (auto& r : readers) r.join();
  EXPECT_EQ(bad, 0);
  const auto metrics = scrape_metrics(port);
  // Read at random and small enough for the cache: the rest of it was fetched in the background.
  EXPECT_GT(metric_value(metrics, "datamon_prefetch_issued_total{kind=\"random_file\"}"), 0) << metrics;
  EXPECT_LE(metric_value(metrics, "datamon_store_leaves_fetched_total"), 11) << metrics;  // each leaf at most once
  EXPECT_EQ(metric_value(metrics, "datamon_read_errors_total"), 0) << metrics;
  // Verified leaves went to the page cache ahead of the reads; the bytes read back above include
  // reads served from there.
  EXPECT_GT(metric_value(metrics, "datamon_page_cache_pushed_bytes_total"), 0) << metrics;
}

TEST_F(PrefetchTest, ARandomReadOfAFileLargerThanTheCacheFetchesItsNeighboursNotTheFile) {
  const auto src = work / "src";
  const auto content = random_bytes(40 * kMiB, 11);  // 20 leaves; the cache keeps guesses of 4 MiB
  write_file(src / "big.bin", content);
  const auto id = ctx.upload(src);
  const int port = free_port();
  MountProcess m(ctx, id, mnt, {"--metrics-addr", metrics_flag(port), "--cache-size", "8MiB"});
  ASSERT_TRUE(m.ready()) << m.log();
  const uint64_t at = 10 * 2 * kMiB + 5;  // in leaf 10, not at the start: a random read
  EXPECT_EQ(pread_all(mnt / "big.bin", at, 100), content.substr(at, 100));
  // Leaves 8, 9, 11 and 12 follow in the background; then nothing more.
  std::string metrics;
  for (int i = 0; i < 500; ++i) {
    metrics = scrape_metrics(port);
    if (metric_value(metrics, "datamon_store_leaves_fetched_total") >= 5) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  metrics = scrape_metrics(port);
  EXPECT_EQ(metric_value(metrics, "datamon_prefetch_issued_total{kind=\"random_file\"}"), 4) << metrics;
  EXPECT_EQ(metric_value(metrics, "datamon_store_leaves_fetched_total"), 5) << metrics;
  for (const uint64_t offset : {8 * 2 * kMiB + 1, 12 * 2 * kMiB + 2 * kMiB - 300}) {
    EXPECT_EQ(pread_all(mnt / "big.bin", offset, 300), content.substr(offset, 300));
  }
}

TEST_F(PrefetchTest, AFailedPrefetchFailsOnlyALaterReadOfThatFileWithEio) {
  const auto src = work / "src";
  const auto contents = write_small_files(src / "d", 10, 200);
  const auto id = ctx.upload(src);
  // The leaf of f004 is missing from the store.
  const auto entries = ctx.stores().catalog().get_entries("repo", ctx.stores().catalog().get_bundle("repo", id));
  std::string missing;
  for (const auto& e : entries) {
    if (e.name != "d/" + small_name(4)) continue;
    const auto keys =
        cafs::decode_root_blob(ctx.stores().blob->get(e.hash), *cafs::Key::from_hex(e.hash), 2 * kMiB, e.hash);
    missing = keys[0].hex();
  }
  ASSERT_FALSE(missing.empty());
  fs::remove(ctx.blob_dir() / missing);

  const int port = free_port();
  MountProcess m(ctx, id, mnt, {"--metrics-addr", metrics_flag(port)});
  ASSERT_TRUE(m.ready()) << m.log();
  EXPECT_EQ(read_file(mnt / "d" / small_name(0)), contents[0]);
  // Wait for the guesses to be done: 9 issued, 8 fetched (the ninth failed).
  EXPECT_EQ(wait_for_metric(port, "datamon_store_leaves_fetched_total", [](double v) { return v >= 9; }), 9);
  const auto before = scrape_metrics(port);
  EXPECT_EQ(metric_value(before, "datamon_read_errors_total"), 0) << before;  // a failed guess is no error
  for (size_t i = 1; i < contents.size(); ++i) {
    int err = 0;
    const auto got = pread_all(mnt / "d" / small_name(i), 0, 1 << 20, &err);
    if (i == 4) {
      EXPECT_EQ(err, EIO);
    } else {
      EXPECT_EQ(err, 0) << small_name(i);
      EXPECT_EQ(got, contents[i]) << small_name(i);
    }
  }
  const auto after = scrape_metrics(port);
  // The kernel may retry the failed page once on its own: errors of that file's reads only.
  EXPECT_GE(metric_value(after, "datamon_read_errors_total"), 1) << after;
  EXPECT_NE(m.log().find(missing), std::string::npos) << m.log();
}

TEST_F(PrefetchTest, PrefetchZeroIssuesNone) {
  const auto src = work / "src";
  const auto contents = write_small_files(src / "d", 20, 300);
  const auto big = random_bytes(9 * kMiB, 8);
  write_file(src / "big.bin", big);
  const auto id = ctx.upload(src);
  const int port = free_port();
  MountProcess m(ctx, id, mnt, {"--metrics-addr", metrics_flag(port), "--prefetch", "0"});
  ASSERT_TRUE(m.ready()) << m.log();
  for (size_t i = 0; i < contents.size(); i += 2) EXPECT_EQ(read_file(mnt / "d" / small_name(i)), contents[i]);
  EXPECT_EQ(pread_all(mnt / "big.bin", 5 * kMiB, 100), big.substr(5 * kMiB, 100));  // random
  EXPECT_EQ(pread_all(mnt / "big.bin", 0, kMiB), big.substr(0, kMiB));              // then sequential
  EXPECT_EQ(pread_all(mnt / "big.bin", kMiB, kMiB), big.substr(kMiB, kMiB));
  const auto metrics = scrape_metrics(port);
  for (const char* kind : {"readahead", "random_file", "directory", "small_file", "preload"}) {
    EXPECT_EQ(metric_value(metrics, std::string("datamon_prefetch_issued_total{kind=\"") + kind + "\"}"), 0)
        << kind << "\n"
        << metrics;
  }
  // Just what was read: 10 small files and leaves 0 and 2 of big.bin (leaf 1 only if the kernel's
  // own readahead asks for it).
  const double fetched = metric_value(metrics, "datamon_store_leaves_fetched_total");
  EXPECT_GE(fetched, 10 + 2) << metrics;
  EXPECT_LE(fetched, 10 + 3) << metrics;
}

// Records how many store requests run at once (a test double of the store: only a wrapper can
// see the overlap), slowed down so that overlapping requests do overlap.
class ConcurrencyRecordingStore final : public store::Store {
 public:
  explicit ConcurrencyRecordingStore(std::unique_ptr<store::Store> inner) : inner_(std::move(inner)) {}
  std::string describe() const override { return inner_->describe(); }
  std::string get(std::string_view name) override {
    const int now = ++in_flight_;
    int seen = max_in_flight.load();
    while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    struct Leave {
      std::atomic<int>& n;
      ~Leave() { --n; }
    } leave{in_flight_};
    ++gets;
    return inner_->get(name);
  }
  std::string get_range(std::string_view n, uint64_t o, uint64_t l) override { return inner_->get_range(n, o, l); }
  std::optional<store::ObjectInfo> stat(std::string_view n) override { return inner_->stat(n); }
  void put(std::string_view n, std::string_view d, store::PutMode m) override { inner_->put(n, d, m); }
  void list(std::string_view p, std::string_view d, const std::function<void(const store::ListEntry&)>& f) override {
    inner_->list(p, d, f);
  }
  void remove(std::string_view n) override { inner_->remove(n); }
  std::atomic<int> max_in_flight{0};
  std::atomic<int> gets{0};

 private:
  std::unique_ptr<store::Store> inner_;
  std::atomic<int> in_flight_{0};
};

TEST_F(PrefetchTest, PrefetchNeverExceedsItsRequestBudget) {
  const auto src = work / "src";
  const auto contents = write_small_files(src / "d", 80, 400);
  const auto id = ctx.upload(src);
  // The mount runs in this process, over the recording store.
  auto recording = std::make_unique<ConcurrencyRecordingStore>(std::move(ctx.stores().blob));
  auto* store = recording.get();
  ctx.stores().blob = std::move(recording);
  fusefs::MountOptions o;
  o.repo = "repo";
  o.bundle_id = id;
  o.mountpoint = mnt;
  o.fetch_threads = 3;  // the guesses' budget: 3 requests at once
  o.prefetch = 40;
  std::mutex m;
  std::condition_variable cv;
  bool ready = false;
  std::exception_ptr failure;
  std::thread server([&] {
    try {
      fusefs::mount_bundle(ctx.stores(), o, [&] {
        std::lock_guard lock(m);
        ready = true;
        cv.notify_all();
      });
    } catch (...) {
      std::lock_guard lock(m);
      failure = std::current_exception();
      ready = true;
      cv.notify_all();
    }
  });
  {
    std::unique_lock lock(m);
    cv.wait_for(lock, std::chrono::seconds(60), [&] { return ready; });
  }
  bool all_good = !failure;
  if (all_good) {
    for (size_t i = 0; i < contents.size(); ++i)
      all_good = all_good && read_file(mnt / "d" / small_name(i)) == contents[i];
  }
  force_unmount(mnt);
  server.join();
  ASSERT_FALSE(failure);
  EXPECT_TRUE(all_good);
  // One reader (one request at a time) plus at most 3 guesses.
  EXPECT_LE(store->max_in_flight.load(), 3 + 1);
  EXPECT_GE(store->max_in_flight.load(), 2);  // and guesses did run beside the reader
}

TEST_F(PrefetchTest, PreloadOfAGlobFillsTheDiskCacheAndALaterColdMountNeedsNoStoreRead) {
  const auto src = work / "src";
  const auto a = random_bytes(5 * kMiB + 17, 1);
  const auto b = random_bytes(3000, 2);
  const auto c = random_bytes(4 * kMiB, 3);
  write_file(src / "data/a.bin", a);
  write_file(src / "data/sub/b.bin", b);
  write_file(src / "other/c.bin", c);
  const auto id = ctx.upload(src);
  const auto disk = work / "disk-cache";
  {
    const int port = free_port();
    MountProcess m(ctx, id, mnt,
                   {"--metrics-addr", metrics_flag(port), "--disk-cache", disk.string(), "--preload", "data/*"});
    ASSERT_TRUE(m.ready()) << m.log();
    EXPECT_EQ(
        wait_for_metric(port, "datamon_preload_files_done_total{result=\"cached\"}", [](double v) { return v >= 2; }),
        2);
    const auto metrics = scrape_metrics(port);
    EXPECT_EQ(metric_value(metrics, "datamon_preload_files"), 2) << metrics;
    EXPECT_EQ(metric_value(metrics, "datamon_store_leaves_fetched_total"), 3 + 1) << metrics;  // a: 3 leaves, b: 1
    EXPECT_NE(m.log().find("preload: done, 2 of 2 files cached"), std::string::npos) << m.log();
  }
  // The store loses every object of data/ (root blobs and leaves): a cold mount still reads it
  // all, so not one of its reads reached the store.
  const auto entries = ctx.stores().catalog().get_entries("repo", ctx.stores().catalog().get_bundle("repo", id));
  size_t removed = 0;
  for (const auto& e : entries) {
    if (e.name.rfind("data/", 0) != 0) continue;
    const auto keys =
        cafs::decode_root_blob(ctx.stores().blob->get(e.hash), *cafs::Key::from_hex(e.hash), 2 * kMiB, e.hash);
    for (const auto& k : keys) removed += fs::remove(ctx.blob_dir() / k.hex()) ? 1 : 0;
    removed += fs::remove(ctx.blob_dir() / e.hash) ? 1 : 0;
  }
  ASSERT_EQ(removed, 3u + 1u + 2u);
  const int port = free_port();
  MountProcess m(ctx, id, mnt,
                 {"--metrics-addr", metrics_flag(port), "--disk-cache", disk.string(), "--prefetch", "0"});
  ASSERT_TRUE(m.ready()) << m.log();
  EXPECT_EQ(read_file(mnt / "data/a.bin"), a);
  EXPECT_EQ(read_file(mnt / "data/sub/b.bin"), b);
  auto metrics = scrape_metrics(port);
  EXPECT_EQ(metric_value(metrics, "datamon_store_leaves_fetched_total"), 0) << metrics;
  EXPECT_EQ(metric_value(metrics, "datamon_cache_leaves_served_total{tier=\"disk\"}"), 4) << metrics;
  EXPECT_EQ(read_file(mnt / "other/c.bin"), c);  // not preloaded: from the store
  metrics = scrape_metrics(port);
  EXPECT_EQ(metric_value(metrics, "datamon_store_leaves_fetched_total"), 2) << metrics;
}

}  // namespace
}  // namespace dm::test
