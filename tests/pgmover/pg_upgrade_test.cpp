// A real major-version upgrade: a PostgreSQL 13 cluster (Debian bullseye's postgresql-13, which
// scripts/install-deps.sh installs beside bookworm's 15) is committed with `datamon pg commit`,
// then brought to 15 with pg_upgrade, once by `datamon pg restore --label L --upgrade` and once
// by the pg sidecar's `upgrade` key. pg_dumpall before and after must match.
#include <gtest/gtest.h>

#include <sstream>

#include "pgmover/layout_manifest.h"
#include "pgmover/pg_harness.h"

namespace fs = std::filesystem;

namespace dm::test::pg {
namespace {

const std::string kOldBin = "/usr/lib/postgresql/13/bin";

// A dump without what names the server rather than the data: the "Dumped from database
// version" comment, the locale provider that only 15 records (13's is always libc), the
// random \restrict keys of pg_dump 15.14 and later, and empty lines (a 15 server gets two more
// in the empty "User Configurations" section, where 15 also looks for parameter privileges).
std::string data_of(const std::string& dump) {
  std::string out;
  std::istringstream lines(dump);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.starts_with("-- Dumped from database version")) continue;
    if (line.starts_with("\\restrict ") || line.starts_with("\\unrestrict ")) continue;
    for (const std::string provider = " LOCALE_PROVIDER = libc";;) {
      const auto at = line.find(provider);
      if (at == std::string::npos) break;
      line.erase(at, provider.size());
    }
    out += line + "\n";
  }
  return out;
}

void expect_same_data(const std::string& got, const std::string& want, const std::string& name) {
  if (data_of(got) == data_of(want)) return;
  write_file("/tmp/pgmover-" + name + ".got.sql", got);
  write_file("/tmp/pgmover-" + name + ".want.sql", want);
  ADD_FAILURE() << "pg_dumpall differs; see /tmp/pgmover-" << name << ".{got,want}.sql";
}

// Starts the PostgreSQL 15 cluster in `pgdata` and checks that it holds the data of `dump13`.
void expect_data_under_15(const Harness& h, const fs::path& pgdata, const std::string& dump13,
                          const std::string& name) {
  EXPECT_EQ(read_file(pgdata / "PG_VERSION"), "15\n");
  const int port = free_port();
  ServerGuard guard(pgdata);
  expect_ok(h.dm({"pg", "start", "--pgdata", pgdata.string(), "--port", std::to_string(port)}), "pg start 15");
  EXPECT_EQ(Harness::sql(port, "SHOW server_version_num").substr(0, 2), "15");
  expect_same_data(Harness::dumpall(port), dump13, name);
  expect_ok(h.dm({"pg", "stop", "--pgdata", pgdata.string()}), "pg stop 15");
}

class PgUpgrade : public ::testing::Test {
 protected:
  // A PostgreSQL 13 cluster with tables, an index, a view, a second database and a role,
  // committed with label "pg13"; its pg_dumpall in dump13_.
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kOldBin + "/postgres")) << "PostgreSQL 13 is not installed: run scripts/install-deps.sh";
    const auto pgdata = h_.dir("pg13");
    const int port = free_port();
    ServerGuard guard(pgdata);
    expect_ok(h_.dm({"pg", "init", "--pgdata", pgdata.string(), "--pg-bin", kOldBin, "--owner", "app"}), "pg init 13");
    expect_ok(h_.dm({"pg", "start", "--pgdata", pgdata.string(), "--pg-bin", kOldBin, "--port", std::to_string(port)}),
              "pg start 13");
    ASSERT_EQ(Harness::sql(port, "SHOW server_version_num").substr(0, 2), "13");
    Harness::sql(port,
                 "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, at timestamptz, price numeric(10,2));"
                 "INSERT INTO items SELECT g, md5(g::text), '2020-01-01'::timestamptz + g * interval '1 hour',"
                 " g / 7.0 FROM generate_series(1, 20000) g;"
                 "CREATE INDEX items_name ON items (name);"
                 "CREATE VIEW expensive AS SELECT id, price FROM items WHERE price > 1000;"
                 "CREATE ROLE reader LOGIN; GRANT SELECT ON items TO reader;");
    Harness::sql(port, "CREATE DATABASE second OWNER app");
    Harness::sql(port, "CREATE TABLE notes AS SELECT g AS id, 'note ' || g AS body FROM generate_series(1, 300) g",
                 "second");
    dump13_ = Harness::dumpall(port);
    expect_ok(h_.dm({"pg", "stop", "--pgdata", pgdata.string(), "--pg-bin", kOldBin}), "pg stop 13");
    expect_ok(h_.dm({"pg", "commit", "--pgdata", pgdata.string(), "--pg-bin", kOldBin, "--repo", "pg", "--message",
                     "PostgreSQL 13", "--label", "pg13"}),
              "pg commit 13");
  }

  void expect_upgraded_data(const fs::path& pgdata, const std::string& name) {
    expect_data_under_15(h_, pgdata, dump13_, name);
  }

  Harness h_;
  std::string dump13_;
};

TEST_F(PgUpgrade, RestoreByLabelWithUpgradeBringsA13ClusterTo15WithItsData) {
  const auto target = h_.dir("restored");
  const auto r = h_.dm({"pg", "restore", "--pgdata", target.string(), "--repo", "pg", "--label", "pg13", "--upgrade"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Upgraded from PostgreSQL 13 to 15"), std::string::npos) << r.out;
  expect_upgraded_data(target, "upgrade-by-label");
  EXPECT_FALSE(fs::exists(target.string() + ".datamon-upgrade-old"));
  EXPECT_FALSE(fs::exists(target.string() + ".datamon-upgrade-new"));

  // The upgraded cluster commits as a 15 bundle, which restores without --upgrade.
  expect_ok(
      h_.dm({"pg", "commit", "--pgdata", target.string(), "--repo", "pg", "--message", "upgraded", "--label", "pg15"}),
      "pg commit 15");
  const auto again = h_.dir("again");
  expect_ok(h_.dm({"pg", "restore", "--pgdata", again.string(), "--repo", "pg", "--label", "pg15"}), "pg restore 15");
  expect_upgraded_data(again, "upgrade-recommitted");
}

// The pg sidecar with `upgrade: true` restores the 13 bundle as 15, serves it to the
// application (here: pg_dumpall), and commits the upgraded cluster.
TEST_F(PgUpgrade, PgSidecarUpgradeKeyServesThe13ClusterAs15AndCommitsIt) {
  const auto coord = h_.dir("coord");
  const auto port = std::to_string(free_port());
  const auto yaml = h_.dir("pg.yaml");
  write_file(yaml, "globalOpts:\n  coordPoint: " + coord.string() + "\n  appTimeout: 5m\ndatabase:\n  name: db\n" +
                       "  dataDir: " + h_.dir("stage").string() + "\n  pgPort: " + port +
                       "\n  runAs: postgres\n  srcRepo: pg\n  srcLabel: pg13\n  upgrade: true\n"
                       "  destRepo: pg\n  destLabel: upgraded\n  destMessage: upgraded by the sidecar\n");
  const auto sidecar_log = h_.dir("sidecar.log");
  auto sidecar = spawn(
      {DATAMON_BIN, "--config", "file://" + h_.dir("config").string(), "sidecar", "pg", "--config", yaml.string()},
      {"DATAMON_NAME=pgmover-test", "DATAMON_EMAIL=test@example.com"}, sidecar_log, sidecar_log);
  ServerGuard guard(h_.dir("stage") / "db");

  // The application: pg_dumpall of the served cluster, over TCP as the wrapper's user (root).
  const auto served_dump = h_.dir("served.sql");
  const auto wrap =
      h_.dm({"wrap", "--coord", coord.string(), "--pg", "db", "--timeout", "5m", "--", kBin + "/pg_dumpall", "-h",
             "127.0.0.1", "-p", port, "-U", "postgres", "-f", served_dump.string()});
  const auto status = sidecar.wait();
  const auto log = read_file(sidecar_log);
  ASSERT_EQ(wrap.exit_code, 0) << wrap.err << "\nsidecar:\n" << log;
  ASSERT_TRUE(status.success()) << status.describe() << "\n" << log;

  const auto served = read_file(served_dump);
  EXPECT_NE(served.find("-- Dumped from database version 15."), std::string::npos);
  expect_same_data(served, dump13_, "upgrade-sidecar-served");

  // What the sidecar committed is the upgraded cluster.
  const auto back = h_.dir("back");
  expect_ok(h_.dm({"pg", "restore", "--pgdata", back.string(), "--repo", "pg", "--label", "upgraded"}), "pg restore");
  expect_upgraded_data(back, "upgrade-sidecar-committed");
}

// A bundle the Go pg sidecar made of a PostgreSQL 13 cluster: the data directory as an
// immediate stop left it (in production, a stale postmaster.pid), its pg_version file and no
// layout manifest. `pg restore --upgrade` brings it to 15 with its data: the old server has to
// recover it first, since pg_upgrade refuses a cluster that was not shut down cleanly.
TEST(PgUpgradeGoBundle, RestoreWithUpgradeBringsAGoSidecar13BundleTo15WithItsData) {
  ASSERT_TRUE(fs::exists(kOldBin + "/postgres")) << "PostgreSQL 13 is not installed: run scripts/install-deps.sh";
  Harness h;
  const auto go = h.dir("go13"), target = h.dir("restored");
  ServerGuard guard_go(go);
  const auto dump13 = make_go_cluster(h, go, "13.16", kOldBin, [](int port) {
    ASSERT_EQ(Harness::sql(port, "SHOW server_version_num").substr(0, 2), "13");
    Harness::sql(port,
                 "CREATE TABLE t AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 20000) g;"
                 "CREATE INDEX t_h ON t (h);"
                 "CREATE VIEW odd AS SELECT id FROM t WHERE id % 2 = 1;");
  });
  const auto bundle = upload_as_go(h, go);
  ASSERT_FALSE(bundle.empty());
  const auto listing = h.dm({"bundle", "list", "files", "--repo", "pg", "--bundle", bundle});
  ASSERT_EQ(listing.out.find(pgmover::kLayoutEntryName), std::string::npos) << "a Go bundle has no manifest";
  ASSERT_NE(listing.out.find("name:pg_version,"), std::string::npos) << listing.out;

  const auto r = h.dm({"pg", "restore", "--pgdata", target.string(), "--repo", "pg", "--bundle", bundle, "--upgrade"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Upgraded from PostgreSQL 13 to 15"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(target / "postmaster.pid"));
  EXPECT_FALSE(fs::exists(target.string() + ".datamon-upgrade-old"));
  EXPECT_FALSE(fs::exists(target.string() + ".datamon-upgrade-new"));
  expect_data_under_15(h, target, dump13, "upgrade-go-bundle");
}

}  // namespace
}  // namespace dm::test::pg
