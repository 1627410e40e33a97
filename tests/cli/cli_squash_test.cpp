// `datamon repo squash` and `context squash` end to end on a file:// context: which bundles stay
// (the latest N, labelled ones when asked), which labels go, the listing printed afterwards, that
// kept bundles download byte-exact, that `purge` then frees exactly the dropped bundles' blobs,
// and that a squash killed at any point leaves every listed bundle whole.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <utility>

#include "common/model/documents.h"
#include "support/cli_fixture.h"
#include "support/kill_points.h"
#include "support/test_support.h"

namespace dm {
namespace {

namespace fs = std::filesystem;
using Names = std::set<std::string>;

class CliSquash : public test::CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    create_context();
    create_repo("r", "squashed");
  }

  // A source folder: one file shared by every bundle of the test, one of its own (seed).
  fs::path source(uint64_t seed) {
    const auto src = dir_ / ("src-" + std::to_string(seed));
    test::write_file(src / "shared", test::random_bytes(4000, 999));
    test::write_file(src / "d" / "own", test::random_bytes(3000 + seed, seed));
    return src;
  }
  // Uploads `source(seed)` into `repo` as a bundle later than every earlier one.
  std::string later_bundle(const std::string& repo, uint64_t seed) {
    test::wait_for_next_second();
    return upload_id(source(seed), repo);
  }
  void label(const std::string& repo, const std::string& name, const std::string& bundle) {
    ok({"label", "set", "--repo", repo, "--label", name, "--bundle", bundle});
  }

  // The committed bundles of `repo`, read from the store itself (a bundle.yaml each).
  Names bundles(const std::string& repo) const {
    Names ids;
    const auto folder = dir_ / "store/m/bundles" / repo;
    if (!fs::exists(folder)) return ids;
    for (const auto& b : fs::directory_iterator(folder)) {
      if (fs::exists(b.path() / "bundle.yaml")) ids.insert(b.path().filename().string());
    }
    return ids;
  }
  // Every folder under the repo's bundles, committed or not: a squash leaves no index file behind.
  Names bundle_folders(const std::string& repo) const {
    Names ids;
    const auto folder = dir_ / "store/m/bundles" / repo;
    if (!fs::exists(folder)) return ids;
    for (const auto& b : fs::directory_iterator(folder)) {
      if (!fs::is_empty(b.path())) ids.insert(b.path().filename().string());  // a local store keeps empty folders
    }
    return ids;
  }
  // Label name -> bundle id, read from the store.
  std::map<std::string, std::string> labels(const std::string& repo) const {
    std::map<std::string, std::string> out;
    const auto folder = dir_ / "store/v/labels" / repo;
    if (!fs::exists(folder)) return out;
    for (const auto& l : fs::directory_iterator(folder)) {
      if (!fs::exists(l.path() / "label.yaml")) continue;  // a deleted label's empty folder
      const auto d = model::parse_label(test::read_file(l.path() / "label.yaml"), l.path().string());
      out[d.name] = d.id;
    }
    return out;
  }
  Names blob_names() const {
    Names names;
    for (const auto& e : fs::directory_iterator(dir_ / "store/b")) names.insert(e.path().filename().string());
    return names;
  }
  // The ids at the start of each line `repo squash` prints (Go's bundle list lines).
  static std::vector<std::string> listed_ids(const std::string& out) {
    std::vector<std::string> ids;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) ids.push_back(line.substr(0, line.find(" , ")));
    return ids;
  }
};

TEST_F(CliSquash, KeepsOnlyTheLatestBundleAndDropsTheLabelsOfTheOthers) {
  const auto b1 = later_bundle("r", 1);
  const auto b2 = later_bundle("r", 2);
  const auto b3 = later_bundle("r", 3);
  label("r", "old", b1);
  label("r", "v1.0", b2);
  label("r", "current", b3);

  const auto out = ok({"repo", "squash", "--repo", "r"});
  // Go prints the repo's bundle list afterwards: `ID , Timestamp , Message`.
  EXPECT_EQ(listed_ids(out), std::vector<std::string>{b3}) << out;
  EXPECT_NE(out.find(b3 + " , "), std::string::npos);
  EXPECT_TRUE(out.ends_with(" , m\n")) << out;
  EXPECT_EQ(bundles("r"), Names{b3});
  EXPECT_EQ(bundle_folders("r"), Names{b3}) << "index files of a dropped bundle were left";
  EXPECT_EQ(labels("r"), (std::map<std::string, std::string>{{"current", b3}}));
  expect_downloads_exactly("r", b3, source(3));

  // Nothing left to squash: the same listing, nothing changes.
  EXPECT_EQ(ok({"repo", "squash", "--repo", "r"}), out);
  EXPECT_EQ(bundles("r"), Names{b3});
}

TEST_F(CliSquash, RetainNLatestKeepsTheGreatestIds) {
  const auto b1 = later_bundle("r", 1);
  const auto b2 = later_bundle("r", 2);
  const auto b3 = later_bundle("r", 3);
  const auto b4 = later_bundle("r", 4);

  auto r = dm({"repo", "squash", "--repo", "r", "--retain-n-latest", "-1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--retain-n-latest"), std::string::npos) << r.err;
  EXPECT_EQ(bundles("r"), (Names{b1, b2, b3, b4}));

  EXPECT_EQ(listed_ids(ok({"repo", "squash", "--repo", "r", "--retain-n-latest", "5"})),
            (std::vector<std::string>{b1, b2, b3, b4}));
  EXPECT_EQ(listed_ids(ok({"repo", "squash", "--repo", "r", "--retain-n-latest", "2"})),
            (std::vector<std::string>{b3, b4}));
  EXPECT_EQ(bundle_folders("r"), (Names{b3, b4}));
  expect_downloads_exactly("r", b3, source(3));
  expect_downloads_exactly("r", b4, source(4));
  // 0 means 1, as in Go.
  EXPECT_EQ(listed_ids(ok({"repo", "squash", "--repo", "r", "--retain-n-latest", "0"})),
            (std::vector<std::string>{b4}));

  r = dm({"repo", "squash", "--repo", "nope"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nope"), std::string::npos) << r.err;
}

TEST_F(CliSquash, RetainTagsKeepsLabelledBundlesAndRetainSemverTagsOnlySemverOnes) {
  const auto unlabelled = later_bundle("r", 1);
  const auto plain = later_bundle("r", 2);
  const auto short_semver = later_bundle("r", 3);
  const auto full_semver = later_bundle("r", 4);
  const auto latest = later_bundle("r", 5);
  // Not semver for Go's ParseTolerant (blang/semver v3.5.1): a word, a leading zero, a fourth
  // number, a numeric pre-release with a leading zero, a short version with a pre-release.
  for (const auto* name : {"release", "01.2.3", "1.2.3.4", "v1.2.3-rc.01", "1.2-rc"}) label("r", name, plain);
  label("r", "v1.2", short_semver);               // padded to 1.2.0
  label("r", "2.0.0-rc.1+build.5", full_semver);  // pre-release and build parts
  label("r", "current", latest);
  const auto all_labels = labels("r");

  EXPECT_EQ(listed_ids(ok({"repo", "squash", "--repo", "r", "--retain-tags"})),
            (std::vector<std::string>{plain, short_semver, full_semver, latest}));
  EXPECT_EQ(labels("r"), all_labels);

  EXPECT_EQ(listed_ids(ok({"repo", "squash", "--repo", "r", "--retain-semver-tags"})),
            (std::vector<std::string>{short_semver, full_semver, latest}));
  EXPECT_EQ(labels("r"), (std::map<std::string, std::string>{
                             {"v1.2", short_semver}, {"2.0.0-rc.1+build.5", full_semver}, {"current", latest}}));
  for (const auto& [id, seed] : {std::pair{short_semver, 3}, std::pair{full_semver, 4}, std::pair{latest, 5}}) {
    expect_downloads_exactly("r", id, source(seed));
  }

  EXPECT_EQ(listed_ids(ok({"repo", "squash", "--repo", "r"})), std::vector<std::string>{latest});
  EXPECT_EQ(labels("r"), (std::map<std::string, std::string>{{"current", latest}}));
  EXPECT_EQ(bundle_folders("r"), Names{latest});
  (void)unlabelled;
}

TEST_F(CliSquash, PurgeAfterwardsDeletesOnlyTheBlobsOfDroppedBundles) {
  // Another repo holds the shared file alone: its blobs are in use whatever r loses.
  create_repo("other", "untouched");
  const auto shared_only = dir_ / "shared-only";
  test::write_file(shared_only / "shared", test::random_bytes(4000, 999));
  const auto other = upload_id(shared_only, "other");
  const auto shared_blobs = blob_names();
  ASSERT_EQ(shared_blobs.size(), 2u);  // one leaf and one root blob

  later_bundle("r", 1);
  later_bundle("r", 2);
  const auto before_latest = blob_names();
  const auto latest = later_bundle("r", 3);
  const auto all = blob_names();
  ASSERT_EQ(all.size(), 8u);
  Names kept;
  std::set_difference(all.begin(), all.end(), before_latest.begin(), before_latest.end(),
                      std::inserter(kept, kept.end()));
  kept.insert(shared_blobs.begin(), shared_blobs.end());

  ok({"repo", "squash", "--repo", "r"});
  EXPECT_EQ(blob_names(), all) << "squash deleted a blob: that is purge's job";
  const auto then = fs::file_time_type::clock::now() - std::chrono::hours(48);
  for (const auto& e : fs::directory_iterator(dir_ / "store/b")) fs::last_write_time(e.path(), then);
  const auto report = ok({"purge", "delete-unused"});
  EXPECT_NE(report.find("Num blob keys deleted: 4\n"), std::string::npos) << report;
  EXPECT_EQ(blob_names(), kept);
  expect_downloads_exactly("r", latest, source(3));
  expect_downloads_exactly("other", other, shared_only);
}

TEST_F(CliSquash, ContextSquashSquashesEveryRepo) {
  create_repo("q", "second");
  create_repo("empty", "no bundle");
  const auto r1 = upload_id(source(1), "r");
  const auto q1 = upload_id(source(2), "q");
  label("q", "v3", q1);
  label("r", "v4", r1);
  const auto r2 = later_bundle("r", 3);
  const auto q2 = later_bundle("q", 4);
  const auto q3 = later_bundle("q", 5);

  EXPECT_EQ(ok({"context", "squash", "--retain-semver-tags", "--retain-n-latest", "1"}), "");
  EXPECT_EQ(bundles("r"), (Names{r1, r2}));
  EXPECT_EQ(bundles("q"), (Names{q1, q3}));

  EXPECT_EQ(ok({"context", "squash"}), "");  // Go prints nothing (it logs each repo)
  EXPECT_EQ(bundles("r"), Names{r2});
  EXPECT_EQ(bundles("q"), Names{q3});
  EXPECT_TRUE(labels("r").empty());
  EXPECT_TRUE(labels("q").empty());
  expect_downloads_exactly("r", r2, source(3));
  expect_downloads_exactly("q", q3, source(5));
  EXPECT_TRUE(bundles("empty").empty());
  (void)q2;
}

// kill -9 at random points of a squash: every bundle still listed has all its index files and
// the latest downloads byte-exact (a dropped bundle leaves listings whole, by its bundle.yaml
// first), no label points at a missing bundle, and a re-run finishes the squash.
TEST_F(CliSquash, AKilledSquashLeavesEveryListedBundleWholeAndARerunFinishes) {
  // Bundles of one second need no order among them: the latest is uploaded a second later.
  constexpr int kOld = 40;
  for (int i = 0; i < kOld; ++i) {
    const auto id = upload_id(source(100), "r");
    if (i % 3 == 0) label("r", std::to_string(i) + "-old", id);
  }
  const auto latest = later_bundle("r", 100);
  label("r", "current", latest);
  const auto pristine = dir_ / "pristine";
  fs::copy(dir_ / "store", pristine, fs::copy_options::recursive);

  // The kills land between a run that deletes nothing (start-up, listing, printing) and the
  // end of a full squash: the deletions are what is tested.
  const auto timed = [&](const std::vector<std::string>& args) {
    const auto t0 = std::chrono::steady_clock::now();
    ok(args);
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
  };
  const auto no_op = timed({"repo", "squash", "--repo", "r", "--retain-n-latest", "1000"});
  const std::vector<std::string> args{"repo", "squash", "--repo", "r"};
  const auto clean = timed(args);
  ASSERT_EQ(bundles("r"), Names{latest});
  // Narrowed each time a run ends before its kill, so that a machine slower or faster than when
  // the runs were timed still gets its kills mid-run.
  int64_t earliest = no_op * 8 / 10;
  int64_t latest_kill = std::max(no_op, clean) * 11 / 10;
  std::mt19937_64 rng(20261206);
  int killed = 0;
  for (int run = 0; run < 60 && killed < 20; ++run) {
    fs::remove_all(dir_ / "store");
    fs::copy(pristine, dir_ / "store", fs::copy_options::recursive);
    const auto delay = std::uniform_int_distribution<int64_t>(earliest, latest_kill)(rng);
    if (test::kill_after(test::start_datamon(args, env_), std::chrono::microseconds(delay))) {
      ++killed;
    } else {
      earliest = earliest * 8 / 10;
      latest_kill = std::max(earliest + 1000, latest_kill * 9 / 10);
    }

    const auto listed = bundles("r");
    ASSERT_TRUE(listed.count(latest)) << "the latest bundle went";
    for (const auto& id : listed) {
      const auto folder = dir_ / "store/m/bundles/r" / id;
      const auto d = model::parse_bundle(test::read_file(folder / "bundle.yaml"), id);
      for (uint64_t n = 0; n < d.count; ++n) {
        ASSERT_TRUE(fs::exists(folder / ("bundle-files-" + std::to_string(n) + ".yaml")))
            << "listed bundle " << id << " lost index file " << n;
      }
    }
    for (const auto& [name, id] : labels("r")) ASSERT_TRUE(listed.count(id)) << "label " << name << " dangles";
    expect_downloads_exactly("r", latest, source(100));

    ok(args);
    ASSERT_EQ(bundles("r"), Names{latest});
    ASSERT_EQ(labels("r"), (std::map<std::string, std::string>{{"current", latest}}));
  }
  EXPECT_GE(killed, 10) << "too few runs were cut short to test anything";
}

}  // namespace
}  // namespace dm
