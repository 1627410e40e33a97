// `datamon sidecar fuse` as a real process on a local store, driven by the new wrapper and by
// the old wrapper's file protocol. Output folders only: mounts are covered by the pod tests.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <thread>

#include "pod_support.h"
#include "sidecar/liveness_lock.h"
#include "sidecar/signal_files.h"

namespace dm::sidecar {
namespace {

using namespace std::chrono_literals;
using podtest::start_datamon;
using podtest::wait_for_file;
using ::testing::HasSubstr;

class FuseSidecarTest : public ::testing::Test {
 protected:
  void SetUp() override { store.create_repo("outputs"); }

  std::filesystem::path write_config(const std::string& repo = "outputs", std::filesystem::path bundle_id_file = {}) {
    if (bundle_id_file.empty()) bundle_id_file = dir / "bid.txt";
    const auto file = dir / "fuse.yaml";
    test::write_file(file, "globalOpts:\n  coordPoint: " + coord.root().string() +
                               "\n  configBucketName: " + store.url() +
                               "\n  contextName: dev\nbundles:\n  - name: results\n    destPath: " + out.string() +
                               "\n    destRepo: " + repo +
                               "\n    destMessage: run results\n    destLabel: latest-run\n"
                               "    destBundleID: " +
                               bundle_id_file.string() + "\n");
    return file;
  }

  podtest::LocalStore store;
  test::TempDir dir;
  CoordDir coord{dir / "coord"};
  std::filesystem::path out = dir / "out";
};

TEST_F(FuseSidecarTest, UploadsTheOutputFolderWithItsLabelOnceTheAppSucceeds) {
  const auto config = write_config();
  auto sidecar = start_datamon(store, {"sidecar", "fuse", "--config", config.string()}, "fuse");
  auto wrap = start_datamon(store,
                            {"wrap", "--coord", coord.root().string(), "--fuse", "--", "sh", "-c",
                             "mkdir -p " + out.string() + "/sub && echo hello > " + out.string() +
                                 "/a.txt && echo deep > " + out.string() + "/sub/b.txt"},
                            "wrap");
  ASSERT_EQ(wrap->wait_exit(60s), 0) << wrap->failure_reason();
  ASSERT_EQ(sidecar->wait_exit(30s), 0) << sidecar->failure_reason();
  EXPECT_TRUE(coord.is_raised(signals::kUploadDone));
  const auto id = test::read_file(dir / "bid.txt");
  ASSERT_EQ(id.size(), 27U);
  auto label = store.run({"label", "get", "--repo", "outputs", "--label", "latest-run"});
  EXPECT_THAT(label.out, HasSubstr(id));
  const auto back = dir / "back";
  auto r =
      store.run({"bundle", "download", "--repo", "outputs", "--label", "latest-run", "--destination", back.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::tree_contents(back, {".datamon"}), test::tree_contents(out));
}

// destBundleID in a folder that does not exist yet: created before the upload.
TEST_F(FuseSidecarTest, TheDestBundleIdFolderIsCreated) {
  const auto bid = dir / "ids/run-1/bid.txt";
  const auto config = write_config("outputs", bid);
  auto sidecar = start_datamon(store, {"sidecar", "fuse", "--config", config.string()}, "fuse");
  auto wrap = start_datamon(
      store, {"wrap", "--coord", coord.root().string(), "--fuse", "--", "sh", "-c", "mkdir -p " + out.string()},
      "wrap");
  ASSERT_EQ(wrap->wait_exit(60s), 0) << wrap->failure_reason();
  ASSERT_EQ(sidecar->wait_exit(30s), 0) << sidecar->failure_reason();
  const auto id = test::read_file(bid);
  EXPECT_EQ(id.size(), 27U);
  EXPECT_THAT(store.run({"bundle", "list", "--repo", "outputs"}).out, HasSubstr(id));
}

// A destBundleID that can never be written fails the run before a bundle is committed, so a
// retry does not leave a duplicate behind.
TEST_F(FuseSidecarTest, AnUnwritableDestBundleIdFailsBeforeTheUpload) {
  test::write_file(dir / "a-file", "not a folder");
  const auto config = write_config("outputs", dir / "a-file/bid.txt");
  auto sidecar = start_datamon(store, {"sidecar", "fuse", "--config", config.string()}, "fuse");
  auto wrap = start_datamon(
      store, {"wrap", "--coord", coord.root().string(), "--fuse", "--", "sh", "-c", "mkdir -p " + out.string()},
      "wrap");
  EXPECT_EQ(wrap->wait_exit(60s), 1);
  EXPECT_THAT(wrap->failure_reason(), HasSubstr("destBundleID"));
  EXPECT_EQ(sidecar->wait_exit(30s), 1);
  EXPECT_EQ(store.run({"bundle", "list", "--repo", "outputs"}).out, "");
}

TEST_F(FuseSidecarTest, TheOldWrappersFileProtocolStillDrivesIt) {
  const auto config = write_config();
  auto sidecar = start_datamon(store, {"sidecar", "fuse", "--config", config.string()}, "fuse");
  // The old wrap_application.sh: wait for mountdone, run, touch initupload, wait for uploaddone.
  ASSERT_TRUE(wait_for_file(coord.path("mountdone"), 30s));
  std::filesystem::create_directories(out);
  test::write_file(out / "x.bin", test::gen_bytes(3 * 1024 * 1024));
  test::write_file(coord.path("initupload"), "");
  ASSERT_TRUE(wait_for_file(coord.path("uploaddone"), 60s));
  EXPECT_EQ(sidecar->wait_exit(30s), 0);
  auto r = store.run({"bundle", "list", "--repo", "outputs"});
  EXPECT_THAT(r.out, HasSubstr(test::read_file(dir / "bid.txt")));
}

TEST_F(FuseSidecarTest, NothingIsSavedWhenTheAppFails) {
  const auto config = write_config();
  auto sidecar = start_datamon(store, {"sidecar", "fuse", "--config", config.string()}, "fuse");
  auto wrap = start_datamon(store,
                            {"wrap", "--coord", coord.root().string(), "--fuse", "--", "sh", "-c",
                             "mkdir -p " + out.string() + " && echo partial > " + out.string() + "/a && exit 3"},
                            "wrap");
  EXPECT_EQ(wrap->wait_exit(60s), 3);
  EXPECT_THAT(wrap->failure_reason(), HasSubstr("exited with status 3"));
  EXPECT_EQ(sidecar->wait_exit(30s), 0);
  EXPECT_FALSE(coord.is_raised(signals::kUploadDone));
  EXPECT_FALSE(std::filesystem::exists(dir / "bid.txt"));
  auto r = store.run({"bundle", "list", "--repo", "outputs"});
  EXPECT_EQ(r.out, "");
}

TEST_F(FuseSidecarTest, UploadFailureIsSignalledAndNamesTheBundleEntry) {
  const auto config = write_config();
  auto sidecar = start_datamon(store, {"sidecar", "fuse", "--config", config.string()}, "fuse");
  // The app succeeds without creating the output folder.
  auto wrap = start_datamon(store, {"wrap", "--coord", coord.root().string(), "--fuse", "--", "true"}, "wrap");
  EXPECT_EQ(wrap->wait_exit(60s), 1);
  EXPECT_THAT(wrap->failure_reason(), HasSubstr("sidecar fuse failed: upload of bundle 'results'"));
  EXPECT_THAT(wrap->failure_reason(), HasSubstr("no such folder"));
  EXPECT_EQ(sidecar->wait_exit(30s), 1);
}

// A destination repo that does not exist is found before `mountdone`, not after the app ran.
TEST_F(FuseSidecarTest, AMissingDestinationRepoFailsBeforeTheAppRuns) {
  const auto config = write_config("no-such-repo");
  auto sidecar = start_datamon(store, {"sidecar", "fuse", "--config", config.string()}, "fuse");
  const auto ran = dir / "app-ran";
  auto wrap =
      start_datamon(store, {"wrap", "--coord", coord.root().string(), "--fuse", "--", "touch", ran.string()}, "wrap");
  EXPECT_EQ(wrap->wait_exit(60s), 1);
  EXPECT_THAT(wrap->failure_reason(),
              HasSubstr("sidecar fuse failed: destination repo 'no-such-repo' of output bundle 'results'"));
  EXPECT_THAT(wrap->failure_reason(), HasSubstr("does not exist"));
  EXPECT_EQ(sidecar->wait_exit(30s), 1);
  EXPECT_FALSE(std::filesystem::exists(ran)) << "the app ran although its output could never be saved";
  EXPECT_FALSE(coord.is_raised(signals::kMountDone));
}

TEST_F(FuseSidecarTest, SigtermBeforeTheEndIsSignalledAsAFailure) {
  const auto config = write_config();
  auto sidecar = start_datamon(store, {"sidecar", "fuse", "--config", config.string()}, "fuse");
  ASSERT_TRUE(wait_for_file(coord.path("mountdone"), 30s));
  sidecar->signal(SIGTERM);
  EXPECT_EQ(sidecar->wait_exit(30s), 128 + SIGTERM);
  ASSERT_TRUE(coord.reason(signals::kFuseFailed));
  EXPECT_THAT(*coord.reason(signals::kFuseFailed), HasSubstr("terminated by signal 15"));
}

TEST_F(FuseSidecarTest, SleepInsteadOfExitLingersUntilSigtermAfterFinishing) {
  const auto config = write_config();
  auto sidecar = start_datamon(store, {"sidecar", "fuse", "--config", config.string()}, "fuse");
  // Read-only workflow on top: no output folder content is fine (an empty bundle).
  ASSERT_TRUE(wait_for_file(coord.path("mountdone"), 30s));
  std::filesystem::create_directories(out);
  coord.raise(signals::kInitUpload);
  ASSERT_TRUE(wait_for_file(coord.path("uploaddone"), 60s));
  EXPECT_EQ(sidecar->wait_exit(30s), 0);  // sleepInsteadOfExit is false in this config
  const auto lingering = dir / "linger.yaml";
  test::write_file(lingering, "globalOpts:\n  coordPoint: " + (dir / "coord2").string() +
                                  "\n  sleepInsteadOfExit: true\n  sleepTimeout: 10m\nbundles: []\n");
  auto idle = start_datamon(store, {"sidecar", "fuse", "--config", lingering.string()}, "fuse idle");
  ASSERT_TRUE(wait_for_file(dir / "coord2/mountdone", 30s));
  test::write_file(dir / "coord2/initupload", "");
  ASSERT_TRUE(wait_for_file(dir / "coord2/uploaddone", 30s));
  EXPECT_FALSE(idle->wait_exit(500ms)) << "did not linger";
  idle->signal(SIGTERM);
  EXPECT_EQ(idle->wait_exit(30s), 0);  // it had finished: a SIGTERM is not a failure
  EXPECT_FALSE(std::filesystem::exists(dir / "coord2/fusefailed"));
}

TEST_F(FuseSidecarTest, BadConfigFailsWithOneLineNamingTheEntry) {
  const auto file = dir / "bad.yaml";
  test::write_file(file, "bundles:\n  - name: in\n    srcPath: /m\n    srcRepo: r\n");
  auto r = store.run({"sidecar", "fuse", "--config", file.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("datamon: error: fuse sidecar config '" + file.string() + "': bundle 'in'"));
}

// A coordination folder reused by three runs of the real sidecar and wrapper. Run 1 fails (the
// app exits 3: `appfailed` stays). Run 2 starts the sidecar first: run 1's `appfailed` must not
// make it throw its outputs away. Run 3 starts the wrapper first: run 2's `mountdone` and
// `uploaddone` must not let the app run before the new sidecar is ready.
TEST_F(FuseSidecarTest, ASecondRunInTheSameFolderIgnoresTheFirstRunsSignals) {
  const auto config = write_config();
  const std::string c = coord.root().string();
  const std::string write_out = "mkdir -p " + out.string() + " && echo run > " + out.string() + "/r.txt";
  {
    auto sidecar = start_datamon(store, {"sidecar", "fuse", "--config", config.string()}, "fuse run 1");
    auto wrap = start_datamon(store, {"wrap", "--coord", c, "--fuse", "--", "sh", "-c", "exit 3"}, "wrap run 1");
    ASSERT_EQ(wrap->wait_exit(60s), 3);
    ASSERT_EQ(sidecar->wait_exit(30s), 0);
    ASSERT_TRUE(coord.is_raised(signals::kAppFailed));
  }
  std::this_thread::sleep_for(50ms);  // file times are coarse: keep run 1 strictly earlier
  {
    auto sidecar = start_datamon(store, {"sidecar", "fuse", "--config", config.string()}, "fuse run 2");
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!(probe_lock(coord.path(signals::kFuseLock)).liveness == Liveness::Alive &&
             probe_lock(coord.path(signals::kFuseLock)).stamped && coord.is_raised(signals::kMountDone)) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    std::this_thread::sleep_for(1s);
    EXPECT_FALSE(sidecar->wait_exit(0ms)) << "run 2's sidecar ended on run 1's appfailed";
    auto wrap = start_datamon(store, {"wrap", "--coord", c, "--fuse", "--", "sh", "-c", write_out}, "wrap run 2");
    ASSERT_EQ(wrap->wait_exit(60s), 0) << wrap->failure_reason();
    ASSERT_EQ(sidecar->wait_exit(30s), 0) << sidecar->failure_reason();
  }
  const auto run2_id = test::read_file(dir / "bid.txt");
  std::filesystem::remove(dir / "bid.txt");
  std::filesystem::remove_all(out);
  std::this_thread::sleep_for(50ms);
  {
    const auto ran = dir / "run3-app-ran";
    auto wrap = start_datamon(
        store, {"wrap", "--coord", c, "--fuse", "--", "sh", "-c", "touch " + ran.string() + " && " + write_out},
        "wrap run 3");
    std::this_thread::sleep_for(1500ms);
    EXPECT_FALSE(std::filesystem::exists(ran)) << "run 3's app started on run 2's mountdone";
    EXPECT_FALSE(wrap->wait_exit(0ms)) << "run 3's wrapper ended on run 2's signals: " << wrap->failure_reason();
    auto sidecar = start_datamon(store, {"sidecar", "fuse", "--config", config.string()}, "fuse run 3");
    ASSERT_EQ(wrap->wait_exit(60s), 0) << wrap->failure_reason();
    ASSERT_EQ(sidecar->wait_exit(30s), 0) << sidecar->failure_reason();
    EXPECT_TRUE(std::filesystem::exists(ran));
  }
  const auto run3_id = test::read_file(dir / "bid.txt");
  EXPECT_NE(run2_id, run3_id);
  const auto list = store.run({"bundle", "list", "--repo", "outputs"}).out;
  EXPECT_THAT(list, HasSubstr(run2_id));
  EXPECT_THAT(list, HasSubstr(run3_id));
  EXPECT_EQ(std::count(list.begin(), list.end(), '\n'), 2) << list;  // run 1 saved nothing
  EXPECT_THAT(store.run({"label", "get", "--repo", "outputs", "--label", "latest-run"}).out, HasSubstr(run3_id));
}

}  // namespace
}  // namespace dm::sidecar
