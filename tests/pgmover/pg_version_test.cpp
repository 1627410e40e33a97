// Major-version checks of a restore, and `restore --upgrade`. Only PostgreSQL 15 exists in
// Debian 12, so the other majors are forged: a bundle whose PG_VERSION and layout manifest say
// 16 or 14. No PostgreSQL 14 server can run here, so the upgrade's orchestration is tested
// with FakeOldPostgres14 (shell scripts answering like 14's binaries) and FakePgUpgrade (in a
// bindir that is otherwise the real 15's, by symlinks); its error paths are tested for real.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pgmover/pg_harness.h"

namespace dm::test::pg {
namespace {

std::string forged_bundle(const Harness& h, const std::string& major) {
  const auto tree = h.dir("forged-" + major);
  write_file(tree / "PG_VERSION", major + "\n");
  write_file(tree / "global" / "pg_control", std::string(8192, '\1'));
  write_file(tree / ".datamon-pg" / "layout.json",
             "{\"format\": 1, \"pg_version\": \"" + major +
                 "\", \"parent\": \"\", \"directories\": [{\"path\": \"\", \"mode\": 448}], \"symlinks\": []}");
  const auto r = h.dm({"bundle", "upload", "--path", tree.string(), "--repo", "pg", "--message", "forged " + major});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return bundle_id(r.out);
}

TEST(PgVersions, NewerBundleIsRefusedNamingBothVersions) {
  Harness h;
  const auto id = forged_bundle(h, "16");
  const auto target = h.dir("target");
  const auto r = h.dm({"pg", "restore", "--pgdata", target.string(), "--repo", "pg", "--bundle", id});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bundle '" + id + "' holds PostgreSQL 16 data but the server binaries are PostgreSQL 15"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(target / "PG_VERSION"));
}

TEST(PgVersions, OlderBundleWithoutItsBinariesIsAnErrorNamingBothVersions) {
  Harness h;
  const auto id = forged_bundle(h, "14");
  const auto r = h.dm({"pg", "restore", "--pgdata", h.dir("target").string(), "--repo", "pg", "--bundle", id});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("PostgreSQL 14 data but the server binaries are PostgreSQL 15"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("PostgreSQL 14 binaries are not installed"), std::string::npos) << r.err;
}

// Without a layout manifest a bundle is taken for the Go pg sidecar's (go_sidecar_bundle_test),
// which still needs a cluster's PG_VERSION and global/pg_control.
TEST(PgVersions, APlainBundleWithoutPgControlIsNotAPgBundle) {
  Harness h;
  const auto tree = h.dir("plain");
  write_file(tree / "PG_VERSION", "15\n");
  const auto up = h.dm({"bundle", "upload", "--path", tree.string(), "--repo", "pg", "--message", "plain"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  const auto r =
      h.dm({"pg", "restore", "--pgdata", h.dir("t").string(), "--repo", "pg", "--bundle", bundle_id(up.out)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("has no PG_VERSION or global/pg_control: not a PostgreSQL cluster"), std::string::npos) << r.err;
}

void write_script(const std::filesystem::path& path, const std::string& body) {
  write_file(path, "#!/bin/sh\n" + body);
  ::chmod(path.c_str(), 0755);
}

// FakeOldPostgres14: a bindir whose `postgres --version` and `pg_controldata` answer like a
// PostgreSQL 14 installation; it can run no server.
std::filesystem::path fake_old_postgres_14(const Harness& h) {
  const auto bin = h.dir("FakeOldPostgres14") / "bin";
  write_script(bin / "postgres",
               "case \"$1\" in --version|-V) echo 'postgres (PostgreSQL) 14.99 (FakeOldPostgres14)'; exit 0;; esac\n"
               "echo 'FakeOldPostgres14 runs no server' >&2; exit 1\n");
  write_script(bin / "pg_controldata",
               "echo 'pg_control version number:            1300'\n"
               "echo 'Database cluster state:               shut down'\n"
               "echo 'Data page checksum version:           1'\n");
  return bin;
}

// The real PostgreSQL 15 binaries by symlink, except FakePgUpgrade, which checks what it is
// given, records its arguments, user and folder in the new cluster and marks it upgraded.
std::filesystem::path fake_new_postgres_15(const Harness& h) {
  const auto bin = h.dir("FakePgUpgrade15") / "bin";
  std::filesystem::create_directories(bin);
  for (const auto& entry : std::filesystem::directory_iterator(kBin)) {
    if (entry.path().filename() != "pg_upgrade")
      std::filesystem::create_symlink(entry.path(), bin / entry.path().filename());
  }
  write_script(
      bin / "pg_upgrade",
      "args=\"$*\"; old=; new=\n"
      "while [ $# -gt 0 ]; do case \"$1\" in --old-datadir) old=$2;; --new-datadir) new=$2;; esac; shift; done\n"
      "[ \"$(cat \"$old/PG_VERSION\")\" = 14 ] || { echo 'FakePgUpgrade: old cluster is not 14'; exit 1; }\n"
      "[ \"$(cat \"$new/PG_VERSION\")\" = 15 ] || { echo 'FakePgUpgrade: new cluster is not 15'; exit 1; }\n"
      "[ -f \"$old/global/pg_control\" ] || { echo 'FakePgUpgrade: old cluster has no pg_control'; exit 1; }\n"
      "{ echo \"$args\"; id -un; pwd; } > \"$new/fake_pg_upgrade.log\"\n");
  return bin;
}

TEST(PgVersions, UpgradeRunsPgUpgradeWithTheOldBinariesThenReplacesTheDataDirectory) {
  Harness h;
  const auto id = forged_bundle(h, "14");
  const auto old_bin = fake_old_postgres_14(h);
  const auto new_bin = fake_new_postgres_15(h);
  const auto target = h.dir("target");
  write_file(target / "PG_VERSION", "15\n");  // an older cluster there is replaced
  write_file(target / "old-cluster-file", "x");
  const auto r = h.dm({"pg", "restore", "--pgdata", target.string(), "--repo", "pg", "--bundle", id, "--upgrade",
                       "--old-bindir", old_bin.string(), "--pg-bin", new_bin.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Upgraded from PostgreSQL 14 to 15"), std::string::npos) << r.out;

  EXPECT_EQ(read_file(target / "PG_VERSION"), "15\n");
  EXPECT_FALSE(std::filesystem::exists(target / "old-cluster-file"));
  const auto log = read_file(target / "fake_pg_upgrade.log");
  const auto staging_old = target.string() + ".datamon-upgrade-old";
  EXPECT_NE(log.find("--old-bindir " + old_bin.string() + " --new-bindir " + new_bin.string()), std::string::npos)
      << log;
  EXPECT_NE(log.find("--old-datadir " + staging_old + " --new-datadir " + target.string() + ".datamon-upgrade-new"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("--link"), std::string::npos) << log;
  EXPECT_NE(log.find("\npostgres\n/tmp/datamon-pg-upgrade-"), std::string::npos)
      << "runs as postgres in its folder: " << log;
  EXPECT_FALSE(std::filesystem::exists(staging_old));
  EXPECT_FALSE(std::filesystem::exists(target.string() + ".datamon-upgrade-new"));
  EXPECT_FALSE(std::filesystem::exists(target.string() + ".datamon-upgrade-replaced"));

  // The result is a real 15 cluster that starts; its next commit names the old bundle as parent.
  const int port = free_port();
  ServerGuard guard(target);
  const auto started = h.dm({"pg", "start", "--pgdata", target.string(), "--port", std::to_string(port)});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  EXPECT_EQ(Harness::sql(port, "SELECT current_setting('server_version_num')::int / 10000"), "15\n");
  ASSERT_EQ(h.dm({"pg", "stop", "--pgdata", target.string()}).exit_code, 0);
  const auto c = h.dm({"pg", "commit", "--pgdata", target.string(), "--repo", "pg", "--message", "upgraded"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(fields(c.out)["parent"], id);
}

TEST(PgVersions, UpgradeWithoutTheOldBinariesIsAnErrorNamingBothVersions) {
  Harness h;
  const auto id = forged_bundle(h, "14");
  const auto target = h.dir("target");
  auto r = h.dm({"pg", "restore", "--pgdata", target.string(), "--repo", "pg", "--bundle", id, "--upgrade"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("PostgreSQL 14 data but the server binaries are PostgreSQL 15"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("PostgreSQL 14 binaries are not installed"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(target.string() + ".datamon-upgrade-old"));

  const auto empty_bin = h.dir("no-binaries");
  std::filesystem::create_directories(empty_bin);
  r = h.dm({"pg", "restore", "--pgdata", target.string(), "--repo", "pg", "--bundle", id, "--upgrade", "--old-bindir",
            empty_bin.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("PostgreSQL 14 binaries are not installed in '" + empty_bin.string() + "'"), std::string::npos)
      << r.err;

  // Real PostgreSQL 15 binaries given as the old ones: the version mismatch is named.
  r = h.dm({"pg", "restore", "--pgdata", target.string(), "--repo", "pg", "--bundle", id, "--upgrade", "--old-bindir",
            kBin});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("holds PostgreSQL 15."), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not PostgreSQL 14"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(target / "PG_VERSION"));
}

}  // namespace
}  // namespace dm::test::pg
