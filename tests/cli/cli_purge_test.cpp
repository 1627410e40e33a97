// `datamon purge` end to end on a file:// context: the dry run's report, the grace period, the
// lock, and purge racing uploads that re-use the blobs it is deleting.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <set>

#include "support/cli_fixture.h"
#include "support/test_support.h"

namespace dm {
namespace {

namespace fs = std::filesystem;

class CliPurge : public test::CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    create_context();
    create_repo("live", "kept");
  }

  std::vector<std::string> upload_args(const fs::path& src, const std::string& repo) {
    return {"bundle", "upload", "--path", src.string(), "--repo", repo, "--message", "m", "--format", "{{.BundleID}}"};
  }
  std::string upload(const fs::path& src, const std::string& repo) { return upload_id(src, repo); }
  fs::path blobs() const { return dir_ / "store/b"; }
  std::set<std::string> blob_names() const {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(blobs())) names.insert(e.path().filename().string());
    return names;
  }
  // Every blob looks written two days ago: old enough for any grace period used here.
  void age_blobs() const {
    const auto then = fs::file_time_type::clock::now() - std::chrono::hours(48);
    for (const auto& e : fs::directory_iterator(blobs())) fs::last_write_time(e.path(), then);
  }
  // The number after "<label>: " in purge's report.
  static uint64_t count(const std::string& report, const std::string& label) {
    std::smatch m;
    const std::regex re(label + ": ([0-9]+)\n");
    if (!std::regex_search(report, m, re)) {
      ADD_FAILURE() << "no '" << label << "' in:\n" << report;
      return 0;
    }
    return std::stoull(m[1].str());
  }
};

TEST_F(CliPurge, DryRunReportsThenDeleteRemovesOnlyUnreferencedOldBlobs) {
  const auto kept_src = dir_ / "kept";
  test::write_file(kept_src / "shared", test::random_bytes(5000, 1));
  test::write_file(kept_src / "own", test::random_bytes(7000, 2));
  const auto kept = upload(kept_src, "live");
  ok({"repo", "create", "--repo", "gone", "--description", "deleted"});
  const auto gone_src = dir_ / "gone";
  test::write_file(gone_src / "shared", test::random_bytes(5000, 1));  // same blobs as live's
  test::write_file(gone_src / "only", test::random_bytes(3000, 3));    // a leaf and a root blob
  upload(gone_src, "gone");
  ok({"repo", "delete", "--repo", "gone", "--force-yes"});
  const auto before = blob_names();
  ASSERT_EQ(before.size(), 6u);  // three files, one leaf and one root blob each

  // Just written: inside the grace period, nothing goes.
  auto report = ok({"purge", "delete-unused"});
  EXPECT_EQ(count(report, "Num blob keys scanned"), 6u);
  EXPECT_EQ(count(report, "Num blob keys found in use"), 4u);
  EXPECT_EQ(count(report, "Num blob keys found more recent than index"), 2u);
  EXPECT_EQ(count(report, "Num blob keys deleted"), 0u);
  EXPECT_EQ(blob_names(), before);

  age_blobs();
  report = ok({"purge", "delete-unused", "--dry-run"});
  const std::regex go_report(
      "unused blob keys removed \\(none is actually removed if this is a dry-run\\)\\.\n"
      "Metadata store: file://.*/store/m\nBlob store: file://.*/store/b\n"
      "Index built at: [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} \\+0000 UTC\n"
      "Num blob keys scanned: 6\nNum blob keys found in use: 4\nNum blob keys found more recent than index: 0\n"
      "Num blob keys deleted: 2\nNum bytes relinquished: 3128\nDry-run: true\n");  // 3000 + a 128-byte root
  EXPECT_TRUE(std::regex_match(report, go_report)) << report;
  EXPECT_EQ(blob_names(), before);

  auto r = dm({"purge", "delete-unused", "--grace", "1h"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("below the minimum"), std::string::npos) << r.err;

  report = ok({"purge", "delete-unused"});
  EXPECT_EQ(count(report, "Num blob keys deleted"), 2u);
  EXPECT_NE(report.find("Dry-run: false"), std::string::npos);
  EXPECT_EQ(blob_names().size(), 4u);
  expect_downloads_exactly("live", kept, kept_src);
  EXPECT_FALSE(fs::exists(dir_ / "store/m/purge.lock"));
}

TEST_F(CliPurge, ALockHeldRefusesUnlessForced) {
  test::write_file(dir_ / "store/m/purge.lock", "locked_at: \"x\"\n");
  auto r = dm({"purge", "delete-unused", "--dry-run"});
  EXPECT_EQ(r.exit_code, 3);  // already exists (bin/exit_codes.h)
  EXPECT_NE(r.err.find("purge.lock"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  ok({"purge", "delete-unused", "--dry-run", "--force"});
  EXPECT_FALSE(fs::exists(dir_ / "store/m/purge.lock"));
  const auto built = ok({"purge", "build-reverse-lookup"});
  EXPECT_NE(built.find("Num entries (blob keys): 0\n"), std::string::npos) << built;
  test::write_file(dir_ / "store/m/reverse-index/chunk-1.yaml", "2020-01-01T00:00:00Z\n");
  EXPECT_EQ(ok({"purge", "delete-reverse-lookup"}), "");
  EXPECT_FALSE(fs::exists(dir_ / "store/m/reverse-index/chunk-1.yaml"));
}

// A deleted repo's blobs are old and unreferenced: exactly what purge deletes. Each round an
// upload of the same content (so it re-uses those blobs) races the purge; afterwards every
// bundle must still download byte for byte.
TEST_F(CliPurge, RacingUploadsNeverLoseABlob) {
  struct Uploaded {
    std::string id;
    fs::path src;
  };
  std::vector<Uploaded> uploaded;
  uint64_t deleted_total = 0;
  constexpr int kRounds = 12;
  for (int round = 0; round < kRounds; ++round) {
    const auto src = dir_ / ("src" + std::to_string(round));
    for (int i = 0; i < 40; ++i) {
      test::write_file(src / fmt::format("f{}", i), test::random_bytes(20000, 1000 * round + i));
    }
    // The deleted repo also held a file no later upload re-uses: purge deletes it every round.
    const auto gone_src = dir_ / ("gone" + std::to_string(round));
    fs::copy(src, gone_src);
    test::write_file(gone_src / "orphan", test::random_bytes(3000, 900000 + round));
    ok({"repo", "create", "--repo", "gone", "--description", "deleted"});
    upload(gone_src, "gone");
    ok({"repo", "delete", "--repo", "gone", "--force-yes"});
    age_blobs();

    const auto up_out = dir_ / "up.out";
    const auto up_err = dir_ / "up.err";
    const auto purge_out = dir_ / "purge.out";
    const auto purge_err = dir_ / "purge.err";
    std::vector<std::string> up{DATAMON_BIN};
    for (const auto& a : upload_args(src, "live")) up.push_back(a);
    // Alternate which starts first so that the purge overlaps the upload's scan in some rounds
    // and its writes in others.
    const std::vector<std::string> purge{DATAMON_BIN, "purge", "delete-unused"};
    process::Child first, second;
    if (round % 2 == 0) {
      first = test::spawn(up, env_, up_out, up_err);
      second = test::spawn(purge, env_, purge_out, purge_err);
    } else {
      first = test::spawn(purge, env_, purge_out, purge_err);
      second = test::spawn(up, env_, up_out, up_err);
    }
    ASSERT_TRUE(first.wait().success()) << test::read_file(up_err) << test::read_file(purge_err);
    ASSERT_TRUE(second.wait().success()) << test::read_file(up_err) << test::read_file(purge_err);
    const auto id = test::read_file(up_out);
    uploaded.push_back({id.substr(0, id.size() - 1), src});
    deleted_total += count(test::read_file(purge_out), "Num blob keys deleted");

    for (const auto& u : uploaded) expect_downloads_exactly("live", u.id, u.src);
    if (HasFailure()) break;
  }
  // The purges did delete (at least each round's orphan): they raced uploads as purges that act.
  EXPECT_GE(deleted_total, 2u * kRounds);
  // Nothing referenced is left for a final purge; everything unreferenced and old goes.
  age_blobs();
  const auto report = ok({"purge", "delete-unused"});
  EXPECT_EQ(count(report, "Num blob keys found in use"),
            count(report, "Num blob keys scanned") - count(report, "Num blob keys deleted"));
  for (const auto& u : uploaded) expect_downloads_exactly("live", u.id, u.src);
}

}  // namespace
}  // namespace dm
