#include "pgmover/exclusions.h"

#include <gtest/gtest.h>

#include "common/util/error.h"
#include "pgmover/data_dir.h"
#include "pgmover/layout_manifest.h"
#include "support/expect_error.h"

namespace dm::pgmover {
namespace {

TEST(PgExclusions, DropsPostgresRuntimeFilesAndKeepsData) {
  for (const char* dropped : {"postmaster.pid", "postmaster.opts", "pg_stat_tmp/global.stat", "pg_replslot/slot/state",
                              "pg_notify/0000", "pg_subtrans/0000", "base/5/pgsql_tmp/pgsql_tmp123.0", "base/pgsql_tmp",
                              "global/pg_internal.init", "base/5/pg_internal.init.123", "base/16384/t3_16400",
                              "base/16384/t12_16400_fsm", "base/16384/t3_16400.1", "postgresql.auto.conf.tmp",
                              "current_logfiles.tmp", "backup_manifest", ".datamon-pg", ".datamon-pg/state.json"}) {
    EXPECT_TRUE(is_excluded(dropped)) << dropped;
  }
  for (const char* kept :
       {"pg_stat_tmp", "pg_replslot", "pg_wal/000000010000000000000001", "pg_wal/archive_status", "pg_stat/pgstat.stat",
        "base/16384/16400", "base/16384/16400_init", "base/16384/16400.1", "global/pg_control", "PG_VERSION",
        "postgresql.auto.conf", "pg_xact/0000", "pg_logical/replorigin_checkpoint", ".datamon-pgx", "t3_16400"}) {
    EXPECT_FALSE(is_excluded(kept)) << kept;
  }
}

TEST(PgExclusions, RefusesBackupAndRecoveryMarkersAtTheTop) {
  EXPECT_EQ(refused_marker("backup_label"), "backup_label");
  EXPECT_EQ(refused_marker("standby.signal"), "standby.signal");
  EXPECT_EQ(refused_marker("recovery.signal"), "recovery.signal");
  EXPECT_EQ(refused_marker("tablespace_map"), "tablespace_map");
  EXPECT_EQ(refused_marker("base/1/backup_label"), "");
  EXPECT_EQ(refused_marker("PG_VERSION"), "");
}

TEST(PgWal, NeededSegmentsComeFromTheCheckpoint) {
  std::map<std::string, std::string> control = {{"Latest checkpoint's REDO WAL file", "000000010000000000000003"},
                                                {"Latest checkpoint location", "0/3000028"},
                                                {"Latest checkpoint's TimeLineID", "1"},
                                                {"Bytes per WAL segment", "16777216"}};
  EXPECT_EQ(needed_wal_segments(control), std::vector<std::string>{"000000010000000000000003"});
  // A checkpoint record in the next segment after its REDO point: both are needed.
  control["Latest checkpoint location"] = "1/4000100";
  EXPECT_EQ(needed_wal_segments(control),
            (std::vector<std::string>{"000000010000000000000003", "000000010000000100000004"}));
  // When in doubt (a fact missing or odd), nothing is derived, so every segment is kept.
  control.erase("Bytes per WAL segment");
  EXPECT_TRUE(needed_wal_segments(control).empty());
  control["Bytes per WAL segment"] = "1000";
  EXPECT_TRUE(needed_wal_segments(control).empty());
}

TEST(PgLayoutManifest, RoundTripsAndRejectsGarbage) {
  LayoutManifest m;
  m.pg_version = "15";
  m.parent = "2KSvihgIbavOzCvi6O28icARnsG";
  m.control["Database cluster state"] = "shut down";
  m.directories = {{"", 0700}, {"pg_notify", 0700}, {"extra", 0750}};
  m.symlinks = {{"link", "postgresql.conf"}};
  m.omitted_wal = {"000000010000000000000004"};
  EXPECT_EQ(parse_layout(to_json(m), "bundle 'x'"), m);
  test::expect_error([] { parse_layout("{\"format\": 1}", "bundle 'x'"); }, ErrorKind::Corrupt, {"bundle 'x'"});
  EXPECT_THROW(parse_layout("{\"format\": 9, \"pg_version\": \"15\", \"directories\": [], \"symlinks\": []}", "b"),
               Error);
}

}  // namespace
}  // namespace dm::pgmover
