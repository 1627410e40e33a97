// `datamon purge build-reverse-lookup|delete-unused|delete-reverse-lookup`: Go's purge commands
// over common/purge (see its header for why a purge is safe while uploads run).
#include <algorithm>
#include <iostream>

#include "bin/cli.h"
#include "common/config/context.h"
#include "common/purge/purge.h"
#include "common/template/model_values.h"
#include "common/util/error.h"
#include "sidecar/duration.h"

namespace dm::cli {

namespace {

struct PurgeFlags {
  bool force = false;
  std::string local_work_dir = ".datamon-index";  // Go's working area; nothing is stored locally here
  bool dry_run = false;
  int concurrency_factor = 100;
  bool current_context_only = false;
  std::string grace = "24h";
};

// The context's stores and those of every other context that shares its blob bucket (Go's
// metaForSharedContexts): their bundles reference the same blobs.
struct PurgeScope {
  config::ContextStores current;
  std::vector<config::ContextStores> sharing;
  std::vector<model::Catalog> catalogs;

  std::vector<model::Catalog*> catalog_pointers() {
    std::vector<model::Catalog*> out;
    for (auto& c : catalogs) out.push_back(&c);
    return out;
  }
};

std::unique_ptr<PurgeScope> open_scope(const config::Config& config, bool current_only) {
  auto scope = std::make_unique<PurgeScope>();
  scope->current = config::open_context(config);
  if (!current_only) {
    for (const auto& name : config::list_contexts(config)) {
      if (name == config.context) continue;
      auto other_config = config;
      other_config.context = name;
      auto other = config::open_context(other_config);
      if (other.blob->describe() == scope->current.blob->describe()) scope->sharing.push_back(std::move(other));
    }
  }
  scope->catalogs.push_back(scope->current.catalog());
  for (auto& other : scope->sharing) scope->catalogs.push_back(other.catalog());
  return scope;
}

unsigned threads_for(int concurrency_factor) {
  return static_cast<unsigned>(std::clamp(concurrency_factor / 4, 1, 32));
}

std::string time_of(int64_t seconds) {
  model::Timestamp t;
  t.seconds = seconds;
  return tmpl::go_time_string(t);
}

// Runs `job` under Go's purge.lock, releasing it whatever happens.
template <typename Job>
void with_lock(store::Store& metadata, bool force, Job job) {
  purge::lock(metadata, force);
  try {
    job();
  } catch (...) {
    try {
      purge::unlock(metadata);
    } catch (const Error&) {
    }
    throw;
  }
  purge::unlock(metadata);
}

void add_common_flags(CLI::App& cmd, PurgeFlags& f) {
  cmd.add_flag("--force", f.force,
               "Forces a locked purge job to run. You MUST make sure that no such concurrent job is running");
  cmd.add_option("--local-work-dir", f.local_work_dir,
                 "accepted for compatibility: the index is kept in memory, nothing is written locally");
  cmd.add_flag("--skip-auth")->description("accepted for compatibility (identity comes from the config)");
}

}  // namespace

void add_purge_commands(CLI::App& app, GlobalOptions& global) {
  auto f = std::make_shared<PurgeFlags>();
  auto* purge = app.add_subcommand("purge", "Commands to purge unused blob storage");
  purge->footer(
      "Deletes blobs that no bundle of the context (or of another context sharing its blob bucket) references.\n"
      "1. \"datamon repo delete\" (or \"repo delete files\") drops references; blobs stay.\n"
      "2. \"datamon purge delete-unused --dry-run\" reports what would go: counts and bytes.\n"
      "3. \"datamon purge delete-unused\" deletes unreferenced blobs last written before the grace period.\n"
      "Uploads may run meanwhile: a blob an upload re-uses is re-written if old, so it is never deleted.");
  purge->require_subcommand(1);
  add_common_flags(*purge, *f);

  auto* build = purge->add_subcommand("build-reverse-lookup",
                                      "Command to build a reverse-lookup index of used BLOB resources (counts them; "
                                      "delete-unused builds its own index when it starts)");
  add_common_flags(*build, *f);
  build->add_option("--concurrency-factor", f->concurrency_factor, "Heuristic on the amount of concurrency")
      ->default_val(100);
  build->add_flag("--current-context-only", f->current_context_only,
                  "Index building is only applied to the metadata of the current context");
  build->add_flag("--resume")->description("accepted for compatibility: no index is stored");
  build->add_option("--index-chunk-start")->description("accepted for compatibility: no index is stored");
  build->callback([&global, f] {
    const auto config = global.load();
    auto scope = open_scope(config, f->current_context_only);
    with_lock(*scope->current.metadata, f->force, [&] {
      purge::Report report;
      report.started = model::Timestamp::now_utc().seconds;
      const auto keys = purge::count_referenced_keys(scope->catalog_pointers(), *scope->current.blob,
                                                     threads_for(f->concurrency_factor), report);
      std::cout << "An index of the blob keys in use is now built in memory (not stored: delete-unused builds its "
                   "own).\n"
                << "Metadata store: " << scope->current.metadata->describe() << "\n"
                << "Blob store: " << scope->current.blob->describe() << "\n"
                << "Index built at: " << time_of(report.started) << "\n"
                << "Num entries (blob keys): " << keys << "\n";
    });
  });

  auto* unused = purge->add_subcommand(
      "delete-unused", "Command to delete BLOB resources that no bundle references and older than the grace period");
  add_common_flags(*unused, *f);
  unused->add_flag("--dry-run", f->dry_run, "Report about the purge, but don't actually delete anything");
  unused->add_option("--concurrency-factor", f->concurrency_factor, "Heuristic on the amount of concurrency")
      ->default_val(100);
  unused->add_flag("--current-context-only", f->current_context_only,
                   "Only the bundles of the current context keep blobs (other contexts sharing the blob bucket "
                   "are ignored)");
  unused
      ->add_option("--grace", f->grace,
                   "Blobs last written within this period before the run are kept (at least 6h; uploads "
                   "longer than grace minus 6h are not protected)")
      ->default_val("24h");
  unused->callback([&global, f] {
    const auto grace = std::chrono::duration_cast<std::chrono::seconds>(sidecar::parse_duration(f->grace, "--grace"));
    const auto config = global.load();
    auto scope = open_scope(config, f->current_context_only);
    with_lock(*scope->current.metadata, f->force, [&] {
      purge::Options options;
      options.grace_seconds = grace.count();
      options.dry_run = f->dry_run;
      options.concurrency = threads_for(f->concurrency_factor);
      const auto r = purge::delete_unused_blobs(scope->catalog_pointers(), *scope->current.blob, options);
      // Go's report (purge_delete_unused.go); "Index built at" is the cutoff: blobs written
      // after it are kept, as Go keeps blobs newer than its index.
      std::cout << "unused blob keys removed (none is actually removed if this is a dry-run).\n"
                << "Metadata store: " << scope->current.metadata->describe() << "\n"
                << "Blob store: " << scope->current.blob->describe() << "\n"
                << "Index built at: " << time_of(r.cutoff) << "\n"
                << "Num blob keys scanned: " << r.scanned << "\n"
                << "Num blob keys found in use: " << r.in_use << "\n"
                << "Num blob keys found more recent than index: " << r.more_recent << "\n"
                << "Num blob keys deleted: " << r.deleted << "\n"
                << "Num bytes relinquished: " << r.deleted_bytes << "\n"
                << "Dry-run: " << (r.dry_run ? "true" : "false") << "\n";
      if (r.missing_roots > 0) {
        std::cerr << "warning: " << r.missing_roots << " root blob(s) referenced by bundles are missing\n";
      }
    });
  });

  auto* drop = purge->add_subcommand(
      "delete-reverse-lookup", "Command to delete a reverse-lookup index (Go's reverse-index/) from the metadata");
  add_common_flags(*drop, *f);
  drop->callback([&global, f] {
    const auto config = global.load();
    auto ctx = config::open_context(config);
    with_lock(*ctx.metadata, f->force, [&] { purge::delete_reverse_lookup(*ctx.metadata); });
  });
}

}  // namespace dm::cli
