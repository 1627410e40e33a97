// Migration from the Go pg sidecar (hack/fuse-demo/wrap_datamon_pg.sh): its bundles are the
// data directory uploaded as is after `pg_ctl -m immediate stop`, with a `pg_version` file and
// no layout manifest. `datamon pg restore` must bring one back to a server that starts with the
// same data, and our commits must carry what the Go sidecar checks (pg_version) and needs.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pgmover/layout_manifest.h"
#include "pgmover/pg_harness.h"

namespace fs = std::filesystem;

namespace dm::test::pg {
namespace {

TEST(GoPgSidecar, ItsBundleRestoresAndStartsAndOursCarriesPgVersion) {
  const int kPortRestored = free_port();
  const int kPortGoReadsOurs = free_port();
  Harness h;
  const auto go = h.dir("go"), restored = h.dir("restored"), go_reads_ours = h.dir("go-reads-ours");
  ServerGuard guard_go(go), guard_restored(restored), guard_ours(go_reads_ours);

  const auto dump = make_go_cluster(h, go, "15.5", kBin, [](int port) {
    Harness::sql(port, "CREATE TABLE t AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 20000) g");
    Harness::sql(port, "CREATE INDEX ON t (h)");
  });
  const auto go_bundle = upload_as_go(h, go);
  ASSERT_FALSE(go_bundle.empty());
  const auto listing = h.dm({"bundle", "list", "files", "--repo", "pg", "--bundle", go_bundle});
  ASSERT_EQ(listing.out.find(pgmover::kLayoutEntryName), std::string::npos) << "a Go bundle has no manifest";

  expect_ok(h.dm({"pg", "restore", "--pgdata", restored.string(), "--repo", "pg", "--bundle", go_bundle}),
            "pg restore of the Go bundle");
  EXPECT_FALSE(fs::exists(restored / "postmaster.pid"));
  EXPECT_FALSE(fs::exists(restored / "postmaster.opts"));
  EXPECT_EQ(read_file(restored / pgmover::kGoVersionFile), "15.5\n");
  // The folders initdb made empty, which the bundle could not carry, are back.
  for (const auto* d : {"pg_notify", "pg_replslot", "pg_tblspc", "pg_twophase", "pg_wal/archive_status", "pg_stat_tmp",
                        "pg_snapshots", "pg_logical/mappings"}) {
    EXPECT_TRUE(fs::is_directory(restored / d)) << d;
  }
  expect_ok(h.dm({"pg", "start", "--pgdata", restored.string(), "--port", std::to_string(kPortRestored)}),
            "pg start of the restored Go bundle");
  EXPECT_EQ(Harness::dumpall(kPortRestored), dump);
  EXPECT_EQ(Harness::sql(kPortRestored, "SELECT count(*) FROM t WHERE h = md5('777')"), "1\n");
  expect_ok(h.dm({"pg", "stop", "--pgdata", restored.string()}), "pg stop");

  // Ours, read the Go sidecar's way: `bundle download`, its pg_version major checked against
  // the server's, the empty folders from its pgdirs.tar, `chmod -R o-rwx`, pg_ctl start.
  const auto ours = h.dm({"pg", "commit", "--pgdata", restored.string(), "--repo", "pg", "--message", "ours"});
  expect_ok(ours, "pg commit");
  const auto ours_id = bundle_id(ours.out);
  expect_ok(h.dm({"bundle", "download", "--repo", "pg", "--bundle", ours_id, "--destination", go_reads_ours.string()}),
            "bundle download");
  const auto version = read_file(go_reads_ours / pgmover::kGoVersionFile);
  EXPECT_EQ(version.substr(0, version.find('.')), "15") << version;
  for (const auto& d : pgmover::go_sidecar_layout({}, 15).directories) fs::create_directories(go_reads_ours / d.path);
  fs::remove_all(go_reads_ours / ".datamon");  // the download's own metadata copy
  for (const auto& e : fs::recursive_directory_iterator(go_reads_ours)) {
    fs::permissions(e.path(), fs::perms::others_all, fs::perm_options::remove);
  }
  ::chmod(go_reads_ours.c_str(), 0700);
  give_to_postgres(go_reads_ours);
  go_style_start(go_reads_ours, kPortGoReadsOurs, h.dir("logs"));
  EXPECT_EQ(Harness::dumpall(kPortGoReadsOurs), dump);
}

}  // namespace
}  // namespace dm::test::pg
