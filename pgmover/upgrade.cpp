#include "pgmover/upgrade.h"

#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/util/files.h"
#include "pgmover/ownership.h"
#include "pgmover/pg_ctl.h"
#include "pgmover/restore_state.h"

namespace fs = std::filesystem;

namespace dm::pgmover {

namespace {

fs::path sibling(const fs::path& pgdata, const std::string& suffix) {
  return pgdata.parent_path() / (pgdata.filename().string() + suffix);
}

void remove_tree(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot remove '" + p.string() + "': " + ec.message());
}

void rename_path(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) throw_errno("cannot rename '" + from.string() + "' to", to.string());
}

// A private working folder for pg_upgrade (its scripts and server sockets), owned by `owner`.
struct WorkDir {
  fs::path path;
  explicit WorkDir(const OsUser& owner) {
    std::string pattern = (fs::temp_directory_path() / "datamon-pg-upgrade-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw_errno("cannot create a folder like", pattern);
    path = pattern;
    give_to(path, owner);
  }
  ~WorkDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

RestoreResult restore_with_upgrade(model::Catalog& catalog, store::Store& blobs, const RestoreOptions& o,
                                   int data_major) {
  const fs::path pgdata = fs::absolute(o.pgdata).lexically_normal();
  const std::string what = "bundle '" + (o.bundle_id.empty() ? o.label : o.bundle_id) + "'";
  fs::path old_bindir = o.old_bindir;
  if (old_bindir.empty()) {
    if (auto installed = installed_bindir(data_major)) old_bindir = *installed;
  }
  std::error_code ec;
  if (old_bindir.empty() || !fs::exists(old_bindir / "postgres", ec)) {
    check_version(data_major, o.binaries, what, o.old_bindir);  // throws, naming both versions
  }
  const auto old = find_binaries(old_bindir);
  if (old.major != data_major) {
    throw Error(ErrorKind::InvalidArgument, "'" + old.bindir.string() + "' holds PostgreSQL " + old.version +
                                                " binaries, not PostgreSQL " + std::to_string(data_major) +
                                                " (--old-bindir)");
  }

  const auto staging_old = sibling(pgdata, ".datamon-upgrade-old");
  const auto staging_new = sibling(pgdata, ".datamon-upgrade-new");
  remove_tree(staging_old);  // left by an earlier run that failed
  remove_tree(staging_new);
  RestoreOptions inner = o;
  inner.pgdata = staging_old;
  inner.binaries = old;
  inner.upgrade = false;
  auto result = restore(catalog, blobs, inner);

  PgCtl old_pg(staging_old, o.owner, old);
  // pg_upgrade wants a cleanly shut down cluster; a Go pg sidecar's bundle is the directory as
  // `pg_ctl -m immediate` left it ("in production"): stop() lets the old server recover it on a
  // private socket and shuts it down cleanly (and does nothing to a clean one).
  old_pg.stop();
  const bool checksums = old_pg.controldata()["Data page checksum version"] != "0";
  PgCtl new_pg(staging_new, o.owner, o.binaries);
  new_pg.init("", checksums);

  const WorkDir work(o.owner);
  const auto upgrade =
      run_program({(o.binaries.bindir / "pg_upgrade").string(), "--old-bindir", old.bindir.string(), "--new-bindir",
                   o.binaries.bindir.string(), "--old-datadir", staging_old.string(), "--new-datadir",
                   staging_new.string(), "--username", o.owner.name, "--socketdir", work.path.string(), "--link"},
                  o.owner, {}, work.path.string());
  if (upgrade.exit_code != 0) {
    throw Error(ErrorKind::Io, "pg_upgrade from PostgreSQL " + old.version + " to " + o.binaries.version +
                                   " failed for " + what + ": " + last_lines(upgrade.output, 3) + " (kept '" +
                                   staging_old.string() + "' and '" + staging_new.string() + "')");
  }

  // The swap: the data directory is replaced only now, by one rename of the finished cluster.
  if (fs::exists(pgdata, ec)) {
    const auto replaced = sibling(pgdata, ".datamon-upgrade-replaced");
    remove_tree(replaced);
    rename_path(pgdata, replaced);
    rename_path(staging_new, pgdata);
    remove_tree(replaced);
  } else {
    rename_path(staging_new, pgdata);
  }
  fsync_path(pgdata.parent_path());
  remove_tree(staging_old);

  // The next commit names the old bundle as its parent; no file is vouched for.
  RestoreState state;
  state.repo = o.repo;
  state.bundle = result.bundle_id;
  save_state(pgdata, state, o.owner);
  result.upgraded_from = data_major;
  spdlog::info("upgraded bundle={} from PostgreSQL {} to {} into {}", result.bundle_id, old.version, o.binaries.version,
               pgdata.string());
  return result;
}

}  // namespace dm::pgmover
