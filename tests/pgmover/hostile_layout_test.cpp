// A pg bundle is untrusted input: hand-made layout manifests that name directories or symlinks
// outside PGDATA, or a symlink on the path of a file of the bundle, must be refused before
// anything outside PGDATA is created, chmod-ed or written.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>

#include "bin/exit_codes.h"
#include "pgmover/ownership.h"
#include "pgmover/pg_harness.h"
#include "support/expect_error.h"

namespace fs = std::filesystem;

namespace dm::test::pg {
namespace {

// A bundle holding PostgreSQL 15's two marker files, `extra` files and the given manifest lists.
// `modes` are set on files of the tree before the upload, which records them.
std::string hostile_bundle(const Harness& h, const std::string& name, const std::string& directories,
                           const std::string& symlinks, const std::vector<std::string>& extra = {},
                           const std::map<std::string, unsigned>& modes = {}) {
  const auto tree = h.dir("tree-" + name);
  write_file(tree / "PG_VERSION", "15\n");
  write_file(tree / "global" / "pg_control", std::string(8192, '\1'));
  for (const auto& f : extra) write_file(tree / f, "written by the bundle");
  for (const auto& [f, mode] : modes) EXPECT_EQ(::chmod((tree / f).c_str(), mode), 0) << f;
  write_file(tree / ".datamon-pg" / "layout.json",
             "{\"format\": 1, \"pg_version\": \"15\", \"parent\": \"\", \"directories\": [" + directories +
                 "], \"symlinks\": [" + symlinks + "]}");
  const auto r = h.dm({"bundle", "upload", "--path", tree.string(), "--repo", "pg", "--message", name});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return bundle_id(r.out);
}

RunResult restore(const Harness& h, const std::string& id) {
  return h.dm({"pg", "restore", "--pgdata", h.dir("pgdata").string(), "--repo", "pg", "--bundle", id});
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

TEST(HostileLayout, DotDotDirectoryIsNeitherCreatedNorChmodded) {
  Harness h;
  fs::create_directory(h.dir("victim"));
  ::chmod(h.dir("victim").c_str(), 0700);
  const auto id = hostile_bundle(h, "dotdot",
                                 R"({"path": "", "mode": 448}, {"path": "../victim", "mode": 511},)"
                                 R"( {"path": "../created", "mode": 511})",
                                 "");
  const auto r = restore(h, id);
  EXPECT_EQ(r.exit_code, cli::exit_code(ErrorKind::Corrupt)) << r.out;
  EXPECT_NE(r.err.find("directory path '../victim' outside the data directory"), std::string::npos) << r.err;
  EXPECT_EQ(mode_of(h.dir("victim")), 0700u);
  EXPECT_FALSE(fs::exists(h.dir("created")));
}

TEST(HostileLayout, AbsoluteDirectoryIsNotCreated) {
  Harness h;
  const auto abs = h.dir("absolute");
  const auto id =
      hostile_bundle(h, "abs", R"({"path": "", "mode": 448}, {"path": ")" + abs.string() + R"(", "mode": 511})", "");
  const auto r = restore(h, id);
  EXPECT_EQ(r.exit_code, cli::exit_code(ErrorKind::Corrupt)) << r.out;
  EXPECT_NE(r.err.find("outside the data directory"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(abs));
}

TEST(HostileLayout, SymlinkOutsideIsNotCreated) {
  Harness h;
  const auto id =
      hostile_bundle(h, "link", R"({"path": "", "mode": 448})", R"({"path": "../planted", "target": "/etc"})");
  const auto r = restore(h, id);
  EXPECT_EQ(r.exit_code, cli::exit_code(ErrorKind::Corrupt)) << r.out;
  EXPECT_NE(r.err.find("symlink path '../planted'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::is_symlink(h.dir("planted")));
}

TEST(HostileLayout, NoFileIsWrittenThroughASymlinkOfTheBundle) {
  Harness h;
  const auto outside = h.dir("outside");
  fs::create_directory(outside);
  // The manifest says pg_wal is a symlink to `outside`; the index has a file below pg_wal.
  const auto id = hostile_bundle(h, "through", R"({"path": "", "mode": 448}, {"path": "global", "mode": 448})",
                                 R"({"path": "pg_wal", "target": ")" + outside.string() + R"("})", {"pg_wal/evil"});
  const auto r = restore(h, id);
  EXPECT_EQ(r.exit_code, cli::exit_code(ErrorKind::Corrupt)) << r.out;
  EXPECT_NE(r.err.find("'pg_wal/evil' at or below its symlink 'pg_wal'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(outside / "evil"));
}

TEST(HostileLayout, APlantedSymlinkInTheDataDirectoryIsNotWrittenThrough) {
  Harness h;
  const auto outside = h.dir("outside");
  fs::create_directory(outside);
  const auto pgdata = h.dir("pgdata");
  write_file(pgdata / "PG_VERSION", "15\n");
  fs::create_directory_symlink(outside, pgdata / "base");
  fs::create_directory_symlink(outside, pgdata / "global");
  write_file(outside / "pg_control", "not the restore's to remove");
  const auto id = hostile_bundle(h, "planted", R"({"path": "", "mode": 448}, {"path": "global", "mode": 448})", "",
                                 {"base/1/1259"});
  const auto r = restore(h, id);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(outside / "1"));
  EXPECT_EQ(read_file(outside / "pg_control"), "not the restore's to remove");
  EXPECT_FALSE(fs::is_symlink(pgdata / "base"));
  EXPECT_EQ(read_file(pgdata / "base/1/1259"), "written by the bundle");
}

// The restore runs as root: a set-user-ID file or a set-group-ID or sticky folder of the bundle
// must come out with its permission bits only.
TEST(HostileLayout, SetIdAndStickyBitsAreDropped) {
  Harness h;
  // 4072 is 07750, 1023 is 01777.
  const auto id = hostile_bundle(h, "setid",
                                 R"({"path": "", "mode": 448}, {"path": "base", "mode": 1023},)"
                                 R"( {"path": "global", "mode": 4072})",
                                 "", {"base/suid", "base/plain"}, {{"base/suid", 04750}, {"base/plain", 0640}});
  const auto r = restore(h, id);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto pgdata = h.dir("pgdata");
  EXPECT_EQ(mode_of(pgdata / "base/suid"), 0750u);
  EXPECT_EQ(mode_of(pgdata / "base/plain"), 0640u);
  EXPECT_EQ(mode_of(pgdata / "base"), 0777u);
  EXPECT_EQ(mode_of(pgdata / "global"), 0750u);
}

// Between the restore's writes and its mode step a file may be replaced by a symlink: the mode
// step must refuse it, not chmod what it points to.
TEST(HostileLayout, TheModeStepNeverChmodsThroughASymlink) {
  Harness h;
  const auto outside = h.dir("outside-file");
  write_file(outside, "not the restore's");
  ASSERT_EQ(::chmod(outside.c_str(), 0600), 0);
  const auto link = h.dir("replaced");
  fs::create_symlink(outside, link);
  expect_error([&] { pgmover::set_mode_and_owner(link, 0644, pgmover::current_user()); }, ErrorKind::Io,
               {"cannot chmod", link.string(), "symlink"});
  EXPECT_EQ(mode_of(outside), 0600u);
}

}  // namespace
}  // namespace dm::test::pg
