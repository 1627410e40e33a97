// kill -9 of `datamon pg commit` and `datamon pg restore` at seeded random points, against a
// real PostgreSQL 15 cluster run as the postgres user. After every kill: the store offers no
// half-written bundle or label (every bundle.yaml downloads byte-exact, every label names a
// committed bundle), and a restored data directory is exactly the old or the new cluster, or
// lacks global/pg_control (PostgreSQL refuses to start on it). A re-run always finishes, and
// the restored cluster starts and dumps exactly like the original.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>

#include "common/model/documents.h"
#include "pgmover/pg_harness.h"
#include "support/kill_points.h"

namespace fs = std::filesystem;

namespace dm::test::pg {
namespace {

constexpr int kCommitKills = 20;
constexpr int kRestoreKills = 20;

using Tree = std::vector<std::pair<std::string, std::string>>;

class PgKill : public ::testing::Test {
 protected:
  std::vector<std::string> with_config(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--config", "file://" + (h_.root() / "config").string()});
    return args;
  }
  static std::vector<std::string> env() { return {"DATAMON_NAME=reliability", "DATAMON_EMAIL=test@example.com"}; }

  fs::path bundles() const { return h_.root() / "dev-meta" / "bundles" / "pg"; }
  fs::path labels() const { return h_.root() / "dev-vmeta" / "labels" / "pg"; }

  // The cluster's files as a commit takes them: everything but pgmover's own folder.
  static Tree files_of(const fs::path& pgdata) { return tree_contents(pgdata, {".datamon-pg"}); }

  // Every file of `got` is in `source` with the same bytes (a commit leaves out PostgreSQL's
  // excluded files and recycled WAL, so `got` may have fewer).
  static void expect_files_from(const Tree& got, const Tree& source, const std::string& what) {
    ASSERT_FALSE(got.empty()) << what << " is empty";
    ASSERT_TRUE(std::any_of(got.begin(), got.end(), [](const auto& f) { return f.first == "global/pg_control"; }))
        << what << " has no global/pg_control";
    for (const auto& [name, content] : got) {
      const auto it = std::lower_bound(source.begin(), source.end(), std::make_pair(name, std::string()));
      ASSERT_TRUE(it != source.end() && it->first == name) << what << " has a file the cluster lacks: " << name;
      ASSERT_TRUE(it->second == content) << what << " differs from the cluster in " << name;
    }
  }

  // Every committed bundle not checked yet downloads, and each file equals the source
  // cluster's (which does not change while commits are killed); every label names a
  // committed bundle.
  void check_store(const Tree& source, std::set<std::string>& checked) {
    if (fs::exists(bundles())) {
      for (const auto& b : fs::directory_iterator(bundles())) {
        const auto id = b.path().filename().string();
        if (!fs::exists(b.path() / "bundle.yaml") || checked.count(id)) continue;
        const auto out = h_.dir("check-" + id);
        const auto r = h_.dm({"bundle", "download", "--repo", "pg", "--bundle", id, "--destination", out.string()});
        ASSERT_EQ(r.exit_code, 0) << "committed bundle " << id << " does not download: " << r.err;
        expect_files_from(tree_contents(out, {".datamon", ".datamon-pg"}), source, "bundle " + id);
        if (HasFatalFailure()) return;
        checked.insert(id);
        fs::remove_all(out);
      }
    }
    if (!fs::exists(labels())) return;
    for (const auto& l : fs::directory_iterator(labels())) {
      const auto d = model::parse_label(read_file(l.path() / "label.yaml"), "label");
      ASSERT_TRUE(fs::exists(bundles() / d.id / "bundle.yaml")) << "label " << d.name << " names an uncommitted bundle";
    }
  }

  Harness h_;
};

TEST_F(PgKill, CommitKilledAnywhereNeverExposesAHalfWrittenBundleOrLabel) {
  const int port = free_port();
  const auto a = h_.dir("a");
  ServerGuard guard(a);
  expect_ok(h_.dm({"pg", "init", "--pgdata", a.string(), "--owner", "app"}), "pg init");
  expect_ok(h_.dm({"pg", "start", "--pgdata", a.string(), "--port", std::to_string(port)}), "pg start");
  expect_ok(Harness::as_postgres("pgbench", {"-h", "/tmp", "-p", std::to_string(port), "-U", "postgres", "-i", "-s",
                                             "1", "-q", "postgres"}),
            "pgbench -i");
  expect_ok(h_.dm({"pg", "stop", "--pgdata", a.string()}), "pg stop");
  const auto source = files_of(a);

  const auto args =
      with_config({"pg", "commit", "--pgdata", a.string(), "--repo", "pg", "--message", "m", "--label", "l"});
  // The first commit uploads everything; later ones only what changed (here nothing but the
  // metadata), so kill points are drawn over the length of a later one (the shortest of three).
  (void)timed_run(args, env());
  const auto full = shortest_run(args, env(), 3);
  std::mt19937_64 rng(20261128);
  std::set<std::string> checked;
  int killed = 0;
  for (int i = 0; i < kCommitKills; ++i) {
    std::uniform_int_distribution<int64_t> at(0, full.count() * 12 / 10);
    if (kill_after(start_datamon(args, env()), std::chrono::microseconds(at(rng)))) ++killed;
    check_store(source, checked);
    if (HasFatalFailure()) return;
  }
  std::printf("reliability: pg commit runs=%d killed mid-run=%d committed bundles checked=%zu\n", kCommitKills, killed,
              checked.size());
  RecordProperty("pg_commit_kills", killed);
  EXPECT_GE(killed, kCommitKills / 4) << "too few kills landed inside a run";

  // A re-run finishes, names a committed parent, and its bundle restores to the same files.
  const auto rerun =
      h_.dm({"pg", "commit", "--pgdata", a.string(), "--repo", "pg", "--message", "after", "--label", "l"});
  expect_ok(rerun, "commit after the kills");
  const auto parent = fields(rerun.out)["parent"];
  EXPECT_TRUE(parent == "none" || fs::exists(bundles() / parent / "bundle.yaml")) << "parent " << parent;
  check_store(source, checked);
  const auto b = h_.dir("b");
  ServerGuard guard_b(b);
  expect_ok(h_.dm({"pg", "restore", "--pgdata", b.string(), "--repo", "pg", "--label", "l"}), "restore");
  expect_files_from(files_of(b), source, "the restored cluster");
}

TEST_F(PgKill, RestoreKilledAnywhereLeavesTheOldTheNewOrAnUnstartableDirectory) {
  const int port = free_port();
  const auto a = h_.dir("a");
  ServerGuard guard(a);
  expect_ok(h_.dm({"pg", "init", "--pgdata", a.string(), "--owner", "app"}), "pg init");
  expect_ok(h_.dm({"pg", "start", "--pgdata", a.string(), "--port", std::to_string(port)}), "pg start");
  expect_ok(Harness::as_postgres("pgbench", {"-h", "/tmp", "-p", std::to_string(port), "-U", "postgres", "-i", "-s",
                                             "1", "-q", "postgres"}),
            "pgbench -i");
  expect_ok(h_.dm({"pg", "stop", "--pgdata", a.string()}), "pg stop");
  const auto v1 = bundle_id(h_.dm({"pg", "commit", "--pgdata", a.string(), "--repo", "pg", "--message", "v1"}).out);
  ASSERT_FALSE(v1.empty());
  expect_ok(h_.dm({"pg", "start", "--pgdata", a.string(), "--port", std::to_string(port)}), "pg start");
  Harness::sql(port, "UPDATE pgbench_accounts SET abalance = abalance + 7 WHERE aid % 3 = 0");
  Harness::sql(port, "CREATE TABLE added AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 20000) g");
  const auto dump_v2 = Harness::dumpall(port);
  expect_ok(h_.dm({"pg", "stop", "--pgdata", a.string()}), "pg stop");
  const auto v2 = bundle_id(h_.dm({"pg", "commit", "--pgdata", a.string(), "--repo", "pg", "--message", "v2"}).out);
  ASSERT_FALSE(v2.empty());

  // The two directories a restore may leave behind, restored without interruption.
  const auto ref1 = h_.dir("ref1"), ref2 = h_.dir("ref2");
  expect_ok(h_.dm({"pg", "restore", "--pgdata", ref1.string(), "--repo", "pg", "--bundle", v1}), "restore v1");
  expect_ok(h_.dm({"pg", "restore", "--pgdata", ref2.string(), "--repo", "pg", "--bundle", v2}), "restore v2");
  const Tree old_tree = files_of(ref1), new_tree = files_of(ref2);
  ASSERT_FALSE(old_tree == new_tree);

  // Each round restores v2 over v1 (or over whatever the last kill left) and alternates back,
  // so kills land in delta restores, in fresh ones and in re-runs after a kill.
  const auto c = h_.dir("c");
  ServerGuard guard_c(c);
  expect_ok(h_.dm({"pg", "restore", "--pgdata", c.string(), "--repo", "pg", "--bundle", v1}), "restore v1 into c");
  const auto to_v2 = with_config({"pg", "restore", "--pgdata", c.string(), "--repo", "pg", "--bundle", v2});
  const auto to_v1 = with_config({"pg", "restore", "--pgdata", c.string(), "--repo", "pg", "--bundle", v1});
  // Kill points over the shorter of a restore each way (the second one takes c back to v1).
  const auto full = std::min(timed_run(to_v2, env()), timed_run(to_v1, env()));
  std::mt19937_64 rng(1128);
  int killed = 0, unstartable = 0, old_found = 0, new_found = 0;
  bool start_refused_checked = false;
  for (int i = 0; i < kRestoreKills; ++i) {
    const auto& args = (i / 2) % 2 == 0 ? to_v2 : to_v1;
    std::uniform_int_distribution<int64_t> at(0, full.count() * 12 / 10);
    if (kill_after(start_datamon(args, env()), std::chrono::microseconds(at(rng)))) ++killed;
    if (!fs::exists(c / "global" / "pg_control")) {
      ++unstartable;
      if (!start_refused_checked) {  // once: PostgreSQL really does refuse such a directory
        const auto start =
            h_.dm({"pg", "start", "--pgdata", c.string(), "--port", std::to_string(port), "--timeout", "20"});
        EXPECT_NE(start.exit_code, 0) << "PostgreSQL started on a half-restored directory";
        start_refused_checked = true;
      }
      continue;
    }
    const auto got = files_of(c);
    if (got == old_tree)
      ++old_found;
    else if (got == new_tree)
      ++new_found;
    else
      FAIL() << "after kill " << i << " the directory has pg_control but is neither v1 nor v2";
  }
  std::printf("reliability: pg restore runs=%d killed mid-run=%d left unstartable=%d old=%d new=%d\n", kRestoreKills,
              killed, unstartable, old_found, new_found);
  RecordProperty("pg_restore_kills", killed);
  // Runs restoring what the directory already holds are short: many end before their kill.
  EXPECT_GE(killed, kRestoreKills / 4) << "too few kills landed inside a run";

  // A re-run finishes and the cluster is exactly v2.
  expect_ok(h_.dm({"pg", "restore", "--pgdata", c.string(), "--repo", "pg", "--bundle", v2}),
            "restore after the kills");
  EXPECT_TRUE(files_of(c) == new_tree);
  expect_ok(h_.dm({"pg", "start", "--pgdata", c.string(), "--port", std::to_string(port)}), "start the restored copy");
  const bool same = Harness::dumpall(port) == dump_v2;
  expect_ok(h_.dm({"pg", "stop", "--pgdata", c.string()}), "stop");
  EXPECT_TRUE(same) << "pg_dumpall of the restored cluster differs from the original";
}

}  // namespace
}  // namespace dm::test::pg
