// The legacy sidecar parameters: old YAML as it stands, SIDECAR_* overrides, old defaults,
// validation errors that name the entry at fault.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "common/util/error.h"
#include "sidecar/duration.h"
#include "sidecar/fuse_config.h"
#include "sidecar/pg_config.h"
#include "support/expect_error.h"
#include "support/test_support.h"

namespace dm::sidecar {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

config::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// The example of format spec §9.4, verbatim.
const char* kOldFuseYaml = R"(globalOpts:
  sleepInsteadOfExit: false
  coordPoint: /tmp/coord
  configBucketName: x
  contextName: y
bundles:
  - name: src
    srcPath: /tmp/mount
    srcRepo: repo
    srcLabel: testlabel
    srcBundle: ""
  - name: dest
    destPath: /tmp/upload
    destRepo: repo
    destMessage: msg
    destLabel: coordemo
    destBundleID: /tmp/sidecar-test-no-such-dir/bid.txt
)";

TEST(Duration, AcceptsSecondsAndUnits) {
  EXPECT_EQ(parse_duration("600", "t"), std::chrono::seconds(600));
  EXPECT_EQ(parse_duration("250ms", "t"), milliseconds(250));
  EXPECT_EQ(parse_duration("1h30m", "t"), std::chrono::minutes(90));
  EXPECT_EQ(parse_duration("2m5s", "t"), std::chrono::seconds(125));
  EXPECT_EQ(format_duration(std::chrono::minutes(30)), "30m");
  EXPECT_EQ(format_duration(milliseconds(1500)), "1500ms");
}

TEST(Duration, RejectsGarbageNamingTheSetting) {
  EXPECT_THAT(test::error_message([] { parse_duration("5 minutes", "--timeout"); }), HasSubstr("--timeout"));
  EXPECT_THAT(test::error_message([] { parse_duration("", "--grace"); }), HasSubstr("--grace"));
  EXPECT_THAT(test::error_message([] { parse_duration("10d", "x"); }), HasSubstr("'10d'"));
}

TEST(FuseConfig, ReadsTheOldYamlAsItStands) {
  const auto c = load_fuse_config(kOldFuseYaml, "'test.yaml'", env_of({}));
  EXPECT_EQ(c.coord, "/tmp/coord");
  EXPECT_EQ(c.config_bucket, "x");
  EXPECT_EQ(c.context, "y");
  EXPECT_FALSE(c.sleep_instead_of_exit);
  EXPECT_EQ(c.sleep_timeout, std::chrono::seconds(600));
  ASSERT_EQ(c.sources.size(), 1U);
  EXPECT_EQ(c.sources[0].name, "src");
  EXPECT_EQ(c.sources[0].mount_point, "/tmp/mount");
  EXPECT_EQ(c.sources[0].repo, "repo");
  EXPECT_EQ(c.sources[0].label, "testlabel");
  EXPECT_EQ(c.sources[0].bundle, "");
  ASSERT_EQ(c.destinations.size(), 1U);
  EXPECT_EQ(c.destinations[0].folder, "/tmp/upload");
  EXPECT_EQ(c.destinations[0].message, "msg");
  EXPECT_EQ(c.destinations[0].label, "coordemo");
  EXPECT_EQ(c.destinations[0].bundle_id_file, "/tmp/sidecar-test-no-such-dir/bid.txt");
}

TEST(FuseConfig, EnvironmentOverridesTheFile) {
  const auto c = load_fuse_config(kOldFuseYaml, "'test.yaml'",
                                  env_of({{"SIDECAR_GLOBALOPTS_COORDPOINT", "/coord2"},
                                          {"SIDECAR_BUNDLES_SRC_SRCLABEL", "other"},
                                          {"SIDECAR_GLOBALOPTS_SLEEPTIMEOUT", "5m"},
                                          {"SIDECAR_GLOBALOPTS_SLEEPINSTEADOFEXIT", "true"}}));
  EXPECT_EQ(c.coord, "/coord2");
  EXPECT_EQ(c.sources[0].label, "other");
  EXPECT_EQ(c.sleep_timeout, std::chrono::minutes(5));
  EXPECT_TRUE(c.sleep_instead_of_exit);
}

TEST(FuseConfig, DefaultsWhenGlobalOptsAreMissing) {
  const auto c = load_fuse_config("bundles:\n  - name: out\n    destPath: /o\n    destRepo: r\n    destMessage: m\n",
                                  "inline", env_of({}));
  EXPECT_EQ(c.coord, "/tmp/coord");
  EXPECT_EQ(c.poll_interval, std::chrono::seconds(1));
  EXPECT_EQ(c.app_timeout, std::chrono::hours(24));
  EXPECT_TRUE(c.sources.empty());
  EXPECT_EQ(c.destinations.size(), 1U);
}

TEST(FuseConfig, SourcesTakePrefetchAndPreloadFromTheFileOrTheEnvironment) {
  const auto c = load_fuse_config(
      "bundles:\n  - name: in\n    srcPath: /m\n    srcRepo: r\n    srcLabel: l\n    srcPrefetch: 0\n"
      "  - name: two\n    srcPath: /n\n    srcRepo: r\n    srcLabel: l\n",
      "inline", env_of({{"SIDECAR_BUNDLES_TWO_SRCPRELOAD", "data/*.parquet"}}));
  ASSERT_EQ(c.sources.size(), 2U);
  EXPECT_EQ(c.sources[0].prefetch, 0U);
  EXPECT_FALSE(c.sources[0].preload);
  EXPECT_FALSE(c.sources[1].prefetch);  // the mount's default
  EXPECT_EQ(c.sources[1].preload, "data/*.parquet");
  auto load = [](const std::string& yaml) { load_fuse_config(yaml, "'f.yaml'", env_of({})); };
  EXPECT_THAT(
      test::error_message([&] {
        load("bundles:\n  - name: in\n    srcPath: /m\n    srcRepo: r\n    srcLabel: l\n    srcPrefetch: many\n");
      }),
      HasSubstr("bundle 'in': srcPrefetch 'many' is not a number"));
  EXPECT_THAT(test::error_message([&] {
                load(
                    "bundles:\n  - name: out\n    destPath: /o\n    destRepo: r\n    destMessage: m\n"
                    "    srcPreload: x\n");
              }),
              HasSubstr("bundle 'out' is a destination"));
}

TEST(FuseConfig, ValidationNamesTheBundleEntry) {
  auto load = [](const std::string& yaml) { load_fuse_config(yaml, "'f.yaml'", env_of({})); };
  EXPECT_THAT(test::error_message([&] { load("bundles:\n  - name: both\n    srcRepo: r\n    destRepo: r\n"); }),
              HasSubstr("bundle 'both' is both a source"));
  EXPECT_THAT(test::error_message([&] { load("bundles:\n  - name: in\n    srcPath: /m\n    srcRepo: r\n"); }),
              HasSubstr("bundle 'in': give exactly one of srcLabel and srcBundle"));
  EXPECT_THAT(test::error_message([&] {
                load("bundles:\n  - name: in\n    srcPath: /m\n    srcRepo: r\n    srcLabel: a\n    srcBundle: b\n");
              }),
              HasSubstr("exactly one"));
  EXPECT_THAT(test::error_message([&] { load("bundles:\n  - name: out\n    destPath: /o\n    destRepo: r\n"); }),
              HasSubstr("bundle 'out': destMessage is required"));
  EXPECT_THAT(test::error_message([&] { load("bundles: [1, 2]\n"); }), HasSubstr("'f.yaml'"));
  EXPECT_THAT(test::error_message([&] { load("globalOpts: {sleepInsteadOfExit: maybe}\n"); }),
              HasSubstr("GLOBALOPTS_SLEEPINSTEADOFEXIT"));
  EXPECT_THAT(test::error_message([&] { load("bundles:\n  - name: a\n   bad indent: [\n"); }),
              HasSubstr("not valid YAML"));
}

TEST(FuseConfig, RefusesAnExistingBundleIdFile) {
  test::TempDir dir;
  test::write_file(dir / "bid.txt", "old");
  const std::string yaml =
      "bundles:\n  - name: out\n    destPath: /o\n    destRepo: r\n    destMessage: m\n"
      "    destBundleID: " +
      (dir / "bid.txt").string() + "\n";
  EXPECT_THAT(test::error_message([&] { load_fuse_config(yaml, "'f.yaml'", env_of({})); }),
              HasSubstr("already exists"));
}

TEST(FuseConfig, ParamsComeFromFileOrDmFuseParams) {
  test::TempDir dir;
  test::write_file(dir / "p.yaml", kOldFuseYaml);
  std::string origin;
  EXPECT_EQ(read_fuse_params(dir / "p.yaml", env_of({}), origin), kOldFuseYaml);
  EXPECT_THAT(origin, HasSubstr("p.yaml"));
  EXPECT_EQ(read_fuse_params(std::nullopt, env_of({{"dm_fuse_params", (dir / "p.yaml").string()}}), origin),
            kOldFuseYaml);
  EXPECT_EQ(read_fuse_params(std::nullopt, env_of({{"dm_fuse_params", kOldFuseYaml}}), origin), kOldFuseYaml);
  EXPECT_THAT(origin, HasSubstr("inline"));
  EXPECT_THAT(test::error_message([&] { read_fuse_params(std::nullopt, env_of({}), origin); }),
              HasSubstr("dm_fuse_params"));
  EXPECT_THAT(test::error_message([&] { read_fuse_params(dir / "nope.yaml", env_of({}), origin); }),
              HasSubstr("nope.yaml"));
}

TEST(PgConfig, OldDefaults) {
  const auto c = load_pg_config("", "(environment only)", env_of({}));
  EXPECT_EQ(c.coord, "/tmp/coord");
  EXPECT_EQ(c.name, "db");
  EXPECT_EQ(c.data_dir, "/pg_stage");
  EXPECT_EQ(c.cluster_dir(), "/pg_stage/db");
  EXPECT_EQ(c.port, "5432");
  EXPECT_EQ(c.owner, "postgres");
  EXPECT_EQ(c.poll_interval, std::chrono::seconds(1));
  EXPECT_EQ(c.sleep_timeout, std::chrono::seconds(600));
  EXPECT_FALSE(c.sleep_instead_of_exit);
  EXPECT_TRUE(c.src_repo.empty());
  EXPECT_TRUE(c.dest_repo.empty());
}

TEST(PgConfig, ReadsTheOldKeysAndTheOldEnvironmentNames) {
  const char* yaml = R"(globalOpts:
  coordPoint: "/c"
  sleepInsteadOfExit: true
database:
  name: orders
  dataDir: /stage
  pgPort: 5433
  srcRepo: pgrepo
  srcLabel: v1
  destRepo: pgrepo
  destMessage: "nightly run"
  destLabel: v2
  owner: app
)";
  auto c = load_pg_config(yaml, "'pg.yaml'", env_of({}));
  EXPECT_EQ(c.coord, "/c");
  EXPECT_TRUE(c.sleep_instead_of_exit);
  EXPECT_EQ(c.cluster_dir(), "/stage/orders");
  EXPECT_EQ(c.port, "5433");
  EXPECT_EQ(c.src_label, "v1");
  EXPECT_EQ(c.dest_message, "nightly run");
  EXPECT_EQ(c.owner, "app");
  // Decision 16: env beats file (the old script let the file win).
  c = load_pg_config(yaml, "'pg.yaml'",
                     env_of({{"SIDECAR_DATABASE_PGPORT", "6000"},
                             {"SIDECAR_GLOBALOPTS_COORDPOINT", "/c2"},
                             {"SIDECAR_DATABASE_NAME", "n2"},
                             {"SIDECAR_DATABASE_RUNAS", "postgres"}}));
  EXPECT_EQ(c.port, "6000");
  EXPECT_EQ(c.coord, "/c2");
  EXPECT_EQ(c.name, "n2");
  EXPECT_EQ(c.run_as, "postgres");
  EXPECT_FALSE(c.upgrade);
  c = load_pg_config(std::string(yaml) + "  upgrade: true\n", "'pg.yaml'", env_of({}));
  EXPECT_TRUE(c.upgrade);
  c = load_pg_config(yaml, "'pg.yaml'", env_of({{"SIDECAR_DATABASE_UPGRADE", "true"}}));
  EXPECT_TRUE(c.upgrade);
}

TEST(PgConfig, ValidationNamesTheDatabase) {
  auto load = [](std::map<std::string, std::string> env) { load_pg_config("", "(env)", env_of(std::move(env))); };
  EXPECT_THAT(test::error_message([&] {
                load({{"SIDECAR_DATABASE_DESTREPO", "r"}});
              }),
              HasSubstr("destRepo needs destMessage"));
  EXPECT_THAT(test::error_message([&] {
                load({{"SIDECAR_DATABASE_SRCREPO", "r"},
                      {"SIDECAR_DATABASE_SRCBUNDLE", "b"},
                      {"SIDECAR_DATABASE_SRCLABEL", "l"}});
              }),
              HasSubstr("database 'db': give srcBundle or srcLabel, not both"));
  EXPECT_THAT(test::error_message([&] {
                load({{"SIDECAR_DATABASE_UPGRADE", "true"}});
              }),
              HasSubstr("database 'db': upgrade given without srcRepo"));
  EXPECT_THAT(test::error_message([&] { load({{"SIDECAR_DATABASE_PGPORT", "54x"}}); }), HasSubstr("'54x'"));
  EXPECT_THAT(test::error_message([&] { load({{"SIDECAR_DATABASE_NAME", "../x"}}); }), HasSubstr("'../x'"));
}

TEST(PgConfig, FileComesFromFlagOrSidecarConfig) {
  test::TempDir dir;
  test::write_file(dir / "pg.yaml", "database:\n  name: x\n");
  std::string origin;
  EXPECT_EQ(read_pg_params(dir / "pg.yaml", env_of({}), origin), "database:\n  name: x\n");
  EXPECT_EQ(read_pg_params(std::nullopt, env_of({{"SIDECAR_CONFIG", (dir / "pg.yaml").string()}}), origin),
            "database:\n  name: x\n");
  EXPECT_THAT(test::error_message([&] { read_pg_params(dir / "missing.yaml", env_of({}), origin); }),
              HasSubstr("missing.yaml"));
}

}  // namespace
}  // namespace dm::sidecar
