// Major-version checks of a restore. Only PostgreSQL 15 exists in Debian 12, so the other
// majors are forged: a bundle whose PG_VERSION and layout manifest say 16 or 14.
#include <gtest/gtest.h>

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

TEST(PgVersions, ABundleWithoutLayoutManifestIsNotAPgBundle) {
  Harness h;
  const auto tree = h.dir("plain");
  write_file(tree / "PG_VERSION", "15\n");
  const auto up = h.dm({"bundle", "upload", "--path", tree.string(), "--repo", "pg", "--message", "plain"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  const auto r = h.dm({"pg", "restore", "--pgdata", h.dir("t").string(), "--repo", "pg", "--bundle", bundle_id(up.out)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not made by datamon pg commit"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dm::test::pg
