// kill -9 at random points (seeded) of `bundle upload` and `bundle download`, many times: the
// store never offers a half-written bundle or label, every committed bundle downloads
// byte-exact, a re-run finishes, and a killed download never leaves a torn file in place.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "common/model/documents.h"
#include "common/model/paths.h"
#include "support/cli_fixture.h"
#include "support/kill_points.h"
#include "support/test_support.h"

namespace dm {
namespace {

namespace fs = std::filesystem;

class CrashSafety : public test::CliTest {
 protected:
  void SetUp() override {
    set_up_transfers({.files = 40,
                      .folders = 4,
                      .size_of = [](int i) { return static_cast<size_t>(1000 * i + 1); },
                      .big_size = 6 * 1024 * 1024 + 5,
                      .big_seed = 77});
  }

  std::chrono::microseconds clean_run_time(const std::vector<std::string>& args) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = test::datamon(args, env_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
  }

  // Every bundle with a bundle.yaml downloads byte-exact; labels point at committed bundles.
  void check_store_invariants() {
    const auto meta = dir_ / "store/m/bundles/r";
    if (!fs::exists(meta)) return;
    for (const auto& b : fs::directory_iterator(meta)) {
      const auto id = b.path().filename().string();
      if (!fs::exists(b.path() / "bundle.yaml")) continue;
      const auto out = dir_ / ("check-" + id);
      const auto r =
          test::datamon({"bundle", "download", "--repo", "r", "--bundle", id, "--destination", out.string()}, env_);
      ASSERT_EQ(r.exit_code, 0) << "committed bundle " << id << " does not download: " << r.err;
      ASSERT_EQ(test::tree_contents(out, {".datamon"}), test::tree_contents(src_)) << id;
      fs::remove_all(out);
    }
    const auto labels = dir_ / "store/v/labels/r";
    if (!fs::exists(labels)) return;
    for (const auto& l : fs::directory_iterator(labels)) {
      const auto d = model::parse_label(test::read_file(l.path() / "label.yaml"), "label");
      ASSERT_TRUE(fs::exists(meta / d.id / "bundle.yaml")) << "label " << d.name << " points at an uncommitted bundle";
    }
  }
};

// Kills wanted mid-run, and the most runs spent getting them.
constexpr int kKillsWanted = 50;
constexpr int kMaxRuns = 400;

// Where in a run the kill lands: uniform over [0, 1.2 x a clean run's time], and narrowed each
// time a run ended before its kill, so that a machine whose load changes after the clean run
// was timed still gets its kills mid-run instead of failing the count.
class KillWindow {
 public:
  explicit KillWindow(std::chrono::microseconds clean) : max_(clean.count() * 12 / 10) {}
  std::chrono::microseconds pick(std::mt19937_64& rng) const {
    return std::chrono::microseconds(std::uniform_int_distribution<int64_t>(0, max_)(rng));
  }
  void learn(bool killed_mid_run) {
    if (!killed_mid_run) max_ = std::max<int64_t>(1000, max_ * 8 / 10);
  }

 private:
  int64_t max_;
};

TEST_F(CrashSafety, UploadKilledAnywhereNeverExposesAPartialBundle) {
  const std::vector<std::string> args{"bundle", "upload",    "--path", src_.string(), "--repo",
                                      "r",      "--message", "m",      "--label",     "l"};
  // Every killed run finds the blobs of the first one stored: the kill window is the length of
  // such a re-run, not of the first upload, or most kills would land after the run ended.
  clean_run_time(args);
  KillWindow window(clean_run_time(args));
  std::mt19937_64 rng(20261128);
  int killed = 0, runs = 0;
  for (; killed < kKillsWanted && runs < kMaxRuns; ++runs) {
    const bool mid_run = test::kill_after(test::start_datamon(args, env_), window.pick(rng));
    window.learn(mid_run);
    killed += mid_run;
    if (runs % 20 == 19) check_store_invariants();
  }
  check_store_invariants();
  EXPECT_GE(killed, kKillsWanted) << "in " << runs << " runs";
  RecordProperty("upload_kills", killed);
  std::printf("reliability: upload runs=%d killed mid-run=%d\n", runs, killed);
  // A re-run after all of that finishes and is exact.
  ASSERT_EQ(test::datamon(args, env_).exit_code, 0);
  check_store_invariants();
}

TEST_F(CrashSafety, DownloadKilledAnywhereLeavesNoTornFileAndReRunFinishes) {
  ASSERT_EQ(test::datamon(
                {"bundle", "upload", "--path", src_.string(), "--repo", "r", "--message", "m", "--label", "l"}, env_)
                .exit_code,
            0);
  const auto dest = dir_ / "dest";
  const std::vector<std::string> args{"bundle", "download",      "--repo",      "r",           "--label",
                                      "l",      "--destination", dest.string(), "--force-dest"};
  KillWindow window(clean_run_time(args));
  const auto want = test::tree_contents(src_);
  std::mt19937_64 rng(1128);
  int killed = 0, runs = 0;
  for (int i = 0; killed < kKillsWanted && i < kMaxRuns; ++i, ++runs) {
    fs::remove_all(dest);
    const bool mid_run = test::kill_after(test::start_datamon(args, env_), window.pick(rng));
    window.learn(mid_run);
    killed += mid_run;
    // Every file present under its final name is complete and correct.
    if (!fs::exists(dest)) continue;
    for (const auto& [name, content] : test::tree_contents(dest, {".datamon"})) {
      if (name.find(".tmp.") != std::string::npos) continue;  // a temporary, never under a final name
      const std::string& file = name;                         // clang 14 cannot capture a structured binding
      const auto it = std::find_if(want.begin(), want.end(), [&](auto& w) { return w.first == file; });
      ASSERT_NE(it, want.end()) << name;
      ASSERT_EQ(it->second, content) << "torn file " << name << " after kill " << i;
    }
  }
  EXPECT_GE(killed, kKillsWanted) << "in " << runs << " runs";
  RecordProperty("download_kills", killed);
  std::printf("reliability: download runs=%d killed mid-run=%d\n", runs, killed);
  ASSERT_EQ(test::datamon(args, env_).exit_code, 0);
  EXPECT_EQ(test::tree_contents(dest, {".datamon"}), want);
}

}  // namespace
}  // namespace dm
