// `datamon repo rename NEW --repo OLD` end to end on a file:// context: the renamed repo lists,
// labels and downloads exactly as the old one did, its metadata objects are the old ones byte
// for byte, the old name is gone, every refusal leaves both names as they were, and a rename
// killed anywhere (kill -9) never loses the old repo.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>

#include "support/cli_fixture.h"
#include "support/kill_points.h"
#include "support/test_support.h"

namespace dm {
namespace {

namespace fs = std::filesystem;

class CliRepoRename : public test::CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    create_context();
    create_repo("old", "the repo to rename");
    test::write_file(src_ / "a.txt", "alpha");
    test::write_file(src_ / "sub/b.bin", test::random_bytes(300000, 3));
    first_ = upload_id(src_, "old", {"--label", "v1"});
    test::wait_for_next_second();  // the second upload is the latest
    test::write_file(src_ / "c.txt", "gamma");
    second_ = upload_id(src_, "old", {"--label", "v2"});
  }

  fs::path bundles(const std::string& repo) const { return dir_ / "store/m/bundles" / repo; }
  fs::path labels(const std::string& repo) const { return dir_ / "store/v/labels" / repo; }

  // Every view of a repo a user has, which a rename must keep byte for byte.
  std::vector<std::string> views(const std::string& repo) const {
    return {ok({"bundle", "list", "--repo", repo}), ok({"label", "list", "--repo", repo}),
            ok({"bundle", "list", "files", "--repo", repo, "--bundle", first_}),
            ok({"bundle", "list", "files", "--repo", repo, "--label", "v2"})};
  }

  std::string first_, second_;
};

TEST_F(CliRepoRename, RenamedRepoListsLabelsAndDownloadsAsTheOldOne) {
  const auto before = views("old");
  const auto bundle_objects = test::tree_contents(bundles("old"));
  const auto label_objects = test::tree_contents(labels("old"));
  ASSERT_EQ(bundle_objects.size(), 4U);  // two bundle.yaml, two index files
  ASSERT_EQ(label_objects.size(), 2U);

  EXPECT_EQ(ok({"repo", "rename", "new", "--repo", "old", "--force-yes"}), "");

  EXPECT_EQ(views("new"), before);
  EXPECT_EQ(test::tree_contents(bundles("new")), bundle_objects);
  EXPECT_EQ(test::tree_contents(labels("new")), label_objects);
  const auto repo = ok({"repo", "get", "--repo", "new"});
  EXPECT_NE(repo.find("new , the repo to rename , Test User , test@example.com"), std::string::npos) << repo;
  ok({"bundle", "download", "--repo", "new", "--label", "v1", "--destination", (dir_ / "v1").string()});
  test::write_file(dir_ / "expect-v1/a.txt", "alpha");
  test::write_file(dir_ / "expect-v1/sub/b.bin", test::random_bytes(300000, 3));
  EXPECT_EQ(test::tree_contents(dir_ / "v1", {".datamon"}), test::tree_contents(dir_ / "expect-v1"));
  ok({"bundle", "download", "--repo", "new", "--destination", (dir_ / "latest").string()});
  EXPECT_EQ(test::tree_contents(dir_ / "latest", {".datamon"}), test::tree_contents(src_));

  // The old name is gone: no repo, no bundle or label object left; the blobs stay.
  EXPECT_EQ(dm({"repo", "get", "--repo", "old"}).exit_code, 2);
  EXPECT_EQ(dm({"bundle", "list", "--repo", "old"}).exit_code, 2);
  EXPECT_TRUE(test::tree_contents(bundles("old")).empty());
  EXPECT_TRUE(test::tree_contents(labels("old")).empty());
  EXPECT_EQ(ok({"repo", "list"}).find("old ,"), std::string::npos);
}

TEST_F(CliRepoRename, RerunAfterAnInterruptionBeforeTheNewRepoExistedFinishes) {
  // What an interrupted rename leaves: copies under the new name but no repo.yaml, one of them
  // torn. Running it again overwrites them and completes.
  test::write_file(bundles("new") / first_ / "bundle.yaml", "torn");
  EXPECT_EQ(dm({"repo", "get", "--repo", "new"}).exit_code, 2);
  const auto before = views("old");
  EXPECT_EQ(ok({"repo", "rename", "new", "--repo", "old", "--force-yes"}), "");
  EXPECT_EQ(views("new"), before);
}

TEST_F(CliRepoRename, KilledAnywhereNeverLosesTheOldRepo) {
  const auto before = views("old");
  const std::vector<std::string> rename{"repo", "rename", "new", "--repo", "old", "--force-yes"};
  const auto clean = test::timed_run(rename, env_);
  ok({"repo", "rename", "old", "--repo", "new", "--force-yes"});
  std::mt19937_64 rng(20261206);
  std::uniform_int_distribution<int64_t> delay(0, clean.count() * 12 / 10);
  int killed = 0, runs = 0;
  for (; killed < 20 && runs < 200; ++runs) {
    killed += test::kill_after(test::start_datamon(rename, env_), std::chrono::microseconds(delay(rng)));
    if (dm({"repo", "get", "--repo", "new"}).exit_code == 0) {
      // NEW was committed: it is whole; what is left of OLD goes with `repo delete`.
      ASSERT_EQ(views("new"), before) << "run " << runs;
      if (dm({"repo", "get", "--repo", "old"}).exit_code == 0) ok({"repo", "delete", "--repo", "old", "--force-yes"});
      ok({"repo", "rename", "old", "--repo", "new", "--force-yes"});
    }
    ASSERT_EQ(views("old"), before) << "run " << runs;
  }
  EXPECT_GE(killed, 1) << "in " << runs << " runs";
  std::printf("reliability: repo rename runs=%d killed mid-run=%d\n", runs, killed);
  // A re-run after all of that finishes and is exact.
  ok(rename);
  EXPECT_EQ(views("new"), before);
  EXPECT_EQ(dm({"repo", "get", "--repo", "old"}).exit_code, 2);
}

TEST_F(CliRepoRename, WithoutForceYesAndNoAnswerRefusesAndChangesNothing) {
  const auto before = views("old");
  const auto r = dm({"repo", "rename", "new", "--repo", "old"});  // stdin is /dev/null
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("Are you sure you want to rename from repo medata for \"old\" [y|n]"), std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("user aborted"), std::string::npos) << r.err;
  EXPECT_EQ(views("old"), before);
  EXPECT_EQ(dm({"repo", "get", "--repo", "new"}).exit_code, 2);
  EXPECT_FALSE(fs::exists(bundles("new")));
}

TEST_F(CliRepoRename, MissingOldRepoIsNotFound) {
  const auto r = dm({"repo", "rename", "new", "--repo", "nope", "--force-yes"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'nope'"), std::string::npos) << r.err;
  EXPECT_EQ(dm({"repo", "get", "--repo", "new"}).exit_code, 2);
}

TEST_F(CliRepoRename, ExistingNewRepoIsRefusedAndBothStay) {
  create_repo("taken", "already there");
  const auto before = views("old");
  const auto r = dm({"repo", "rename", "taken", "--repo", "old", "--force-yes"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("'taken' already exists"), std::string::npos) << r.err;
  EXPECT_EQ(views("old"), before);
  EXPECT_NE(ok({"repo", "get", "--repo", "taken"}).find("already there"), std::string::npos);
  EXPECT_FALSE(fs::exists(bundles("taken")));
  // The same name twice: it exists.
  EXPECT_EQ(dm({"repo", "rename", "old", "--repo", "old", "--force-yes"}).exit_code, 3);
  EXPECT_EQ(views("old"), before);
}

TEST_F(CliRepoRename, InvalidOrMissingNewNameIsBadInput) {
  auto r = dm({"repo", "rename", "bad/name", "--repo", "old", "--force-yes"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad/name"), std::string::npos) << r.err;
  EXPECT_NE(dm({"repo", "rename", "--repo", "old", "--force-yes"}).exit_code, 0);
  EXPECT_EQ(dm({"repo", "get", "--repo", "old"}).exit_code, 0);
}

}  // namespace
}  // namespace dm
