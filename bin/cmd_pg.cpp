// `datamon pg restore|init|start|stop|commit`: the PostgreSQL data mover (pgmover, issue 9).
#include <unistd.h>

#include <iostream>

#include "bin/cli.h"
#include "common/config/context.h"
#include "common/util/error.h"
#include "pgmover/commit.h"
#include "pgmover/pg_ctl.h"
#include "pgmover/restore.h"

namespace dm::cli {

namespace {

struct PgFlags {
  std::string pgdata, run_as = "postgres", pg_bin;
  // restore / commit
  std::string repo, bundle, label, message;
  bool verify_hash = true, keep_all_wal = false, upgrade = false;
  std::string old_bindir;
  unsigned concurrency = 8;
  // init / start
  std::string owner, listen = "127.0.0.1", socket_dir = "/tmp";
  int port = 0;
  int timeout = 300;
};

// PostgreSQL refuses root: as root we act as --run-as; otherwise as ourselves.
pgmover::OsUser server_user(const PgFlags& f) {
  return ::geteuid() == 0 ? pgmover::lookup_user(f.run_as) : pgmover::current_user();
}

pgmover::PgCtl make_pg(const PgFlags& f) {
  return pgmover::PgCtl(f.pgdata, server_user(f), pgmover::find_binaries(f.pg_bin));
}

void add_common(CLI::App* cmd, PgFlags& f) {
  cmd->add_option("--pgdata", f.pgdata, "PostgreSQL data directory")->required();
  cmd->add_option("--run-as", f.run_as, "OS user that owns and runs the cluster when run as root")
      ->default_val("postgres");
  cmd->add_option("--pg-bin", f.pg_bin, "PostgreSQL binaries (default: newest /usr/lib/postgresql/N/bin)");
}

void restore(GlobalOptions& global, const PgFlags& f) {
  const auto config = global.load();
  auto ctx = config::open_context(config);
  auto catalog = ctx.catalog();
  pgmover::RestoreOptions o;
  o.repo = f.repo;
  o.bundle_id = f.bundle;
  o.label = f.label;
  o.pgdata = f.pgdata;
  o.owner = server_user(f);
  o.binaries = pgmover::find_binaries(f.pg_bin);
  o.concurrency = std::max(1U, f.concurrency);
  o.verify = f.verify_hash;
  o.upgrade = f.upgrade;
  o.old_bindir = f.old_bindir;
  const auto r = pgmover::restore(catalog, *ctx.blob, o);
  if (r.upgraded_from != 0) {
    std::cout << "Upgraded from PostgreSQL " << r.upgraded_from << " to " << o.binaries.version << " with pg_upgrade\n";
  }
  std::cout << "Restored bundle " << r.bundle_id << " into " << f.pgdata << ": written=" << r.files_written
            << " patched=" << r.files_patched << " kept=" << r.files_kept << " hashed=" << r.files_hashed
            << " removed=" << r.removed << " leaves_fetched=" << r.leaves_fetched << " leaves_total=" << r.leaves_total
            << " bytes_written=" << r.bytes_written << "\n";
}

void commit(GlobalOptions& global, const PgFlags& f) {
  const auto config = global.load();
  auto ctx = config::open_context(config);
  auto catalog = ctx.catalog();
  auto pg = make_pg(f);
  pgmover::CommitOptions o;
  o.repo = f.repo;
  o.message = f.message;
  o.label = f.label;
  o.contributor = config.contributor;
  o.keep_all_wal = f.keep_all_wal;
  o.concurrency = std::max(1U, f.concurrency);
  const auto r = pgmover::commit(pg, catalog, *ctx.blob, o);
  std::cout << "Uploaded bundle id:" << r.upload.bundle_id << "\n";
  std::cout << "parent=" << (r.parent.empty() ? "none" : r.parent) << " files=" << r.upload.files
            << " bytes=" << r.upload.bytes << " leaves=" << r.upload.leaves
            << " leaves_stored=" << r.upload.leaves_stored << " bytes_stored=" << r.upload.bytes_stored
            << " known_leaves=" << r.known_leaves << " trusted_files=" << r.trusted_files << " excluded=" << r.excluded
            << " omitted_wal=" << r.omitted_wal << " omitted_wal_bytes=" << r.omitted_wal_bytes << "\n";
  if (!f.label.empty()) std::cout << "set label '" << f.label << "'\n";
}

}  // namespace

void add_pg_commands(CLI::App& app, GlobalOptions& global) {
  auto* pg = app.add_subcommand("pg", "Restore, run and commit PostgreSQL data directories");
  pg->require_subcommand(1);

  auto rf = std::make_shared<PgFlags>();
  auto* rs = pg->add_subcommand("restore", "Bring a data directory to a bundle's content, in place");
  add_common(rs, *rf);
  rs->add_option("--repo", rf->repo, "repo")->required();
  auto* b = rs->add_option("--bundle", rf->bundle, "bundle id (default: latest)");
  auto* l = rs->add_option("--label", rf->label, "label");
  b->excludes(l);
  rs->add_option("--verify-hash", rf->verify_hash, "verify every leaf (default true)")->default_val(true);
  rs->add_option("--concurrency", rf->concurrency, "files and leaves in flight")->default_val(8);
  rs->add_flag("--upgrade", rf->upgrade, "a bundle of an older PostgreSQL major: run pg_upgrade to the server's");
  rs->add_option("--old-bindir", rf->old_bindir,
                 "binaries of the bundle's major for --upgrade (default: /usr/lib/postgresql/<major>/bin)");
  rs->callback([&global, rf] { restore(global, *rf); });

  auto inf = std::make_shared<PgFlags>();
  auto* in = pg->add_subcommand("init", "Create a new cluster (initdb: UTF8, no locale, data checksums)");
  add_common(in, *inf);
  in->add_option("--owner", inf->owner, "role to create as superuser");
  in->callback([inf] {
    make_pg(*inf).init(inf->owner);
    std::cout << "initialized " << inf->pgdata << "\n";
  });

  auto sf = std::make_shared<PgFlags>();
  auto* st = pg->add_subcommand("start", "Start the server; returns once a query answers and recovery is over");
  add_common(st, *sf);
  st->add_option("--port", sf->port, "TCP port")->required();
  st->add_option("--listen", sf->listen, "listen_addresses ('' for the Unix socket only)")->default_val("127.0.0.1");
  st->add_option("--socket-dir", sf->socket_dir, "Unix socket directory")->default_val("/tmp");
  st->add_option("--timeout", sf->timeout, "seconds to wait for readiness (0: no limit)")->default_val(300);
  st->callback([sf] {
    pgmover::StartOptions o;
    o.port = sf->port;
    o.listen = sf->listen;
    o.socket_dir = sf->socket_dir;
    o.timeout_seconds = sf->timeout;
    make_pg(*sf).start(o);
    std::cout << "started " << sf->pgdata << " on port " << sf->port << "\n";
  });

  auto pf = std::make_shared<PgFlags>();
  auto* sp = pg->add_subcommand("stop", "Stop the server (fast) and check it shut down cleanly");
  add_common(sp, *pf);
  sp->callback([pf] {
    make_pg(*pf).stop();
    std::cout << "stopped " << pf->pgdata << " (shut down)\n";
  });

  auto cf = std::make_shared<PgFlags>();
  auto* cm = pg->add_subcommand("commit", "Upload a cleanly stopped data directory as a new bundle");
  add_common(cm, *cf);
  cm->add_option("--repo", cf->repo, "repo")->required();
  cm->add_option("--message", cf->message, "commit message")->required();
  cm->add_option("--label", cf->label, "label to set on the new bundle");
  cm->add_flag("--keep-all-wal", cf->keep_all_wal, "keep recycled WAL segments too");
  cm->add_option("--concurrency", cf->concurrency, "files and leaves in flight")->default_val(8);
  cm->callback([&global, cf] { commit(global, *cf); });
}

}  // namespace dm::cli
