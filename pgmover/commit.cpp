#include "pgmover/commit.h"

#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <map>
#include <mutex>

#include "common/cafs/reader.h"
#include "common/util/error.h"
#include "common/util/files.h"
#include "common/util/thread_pool.h"
#include "pgmover/data_dir.h"
#include "pgmover/exclusions.h"
#include "pgmover/layout_manifest.h"
#include "pgmover/restore_state.h"

namespace fs = std::filesystem;

namespace dm::pgmover {

namespace {

// The parent recorded in the directory, if it is a bundle of `repo` that still exists.
std::string find_parent(model::Catalog& catalog, const std::optional<RestoreState>& state, const std::string& repo) {
  if (!state || state->repo != repo || state->bundle.empty()) return {};
  try {
    catalog.get_bundle(repo, state->bundle);
    return state->bundle;
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::NotFound) throw;
    spdlog::warn("recorded parent bundle={} repo={} is gone; committing without parent", state->bundle, repo);
    return {};
  }
}

cafs::KeySet parent_leaves(model::Catalog& catalog, store::Store& blobs, const std::string& repo,
                           const std::string& parent, unsigned concurrency) {
  cafs::KeySet known;
  if (parent.empty()) return known;
  const auto bundle = catalog.get_bundle(repo, parent);
  const auto entries = catalog.get_entries(repo, bundle, concurrency);
  cafs::Reader reader(blobs, bundle.leaf_size, bundle.version < 1);
  std::mutex mutex;
  parallel_for(entries.size(), concurrency, [&](size_t i) {
    const auto root = cafs::Key::from_hex(entries[i].hash);
    if (!root) return;  // an unusable parent entry only costs existence checks
    const auto keys = reader.leaf_keys(*root);
    std::lock_guard lock(mutex);
    known.insert(keys.begin(), keys.end());
  });
  return known;
}

}  // namespace

CommitResult commit(PgCtl& pg, model::Catalog& catalog, store::Store& blobs, const CommitOptions& o) {
  if (o.message.empty()) throw Error(ErrorKind::InvalidArgument, "a commit needs a message (--message)");
  catalog.require_repo(o.repo);
  pg.require_clean_shutdown();
  const auto& pgdata = pg.pgdata();
  const auto control = pg.controldata();
  auto scan = scan_data_dir(pgdata, control, o.keep_all_wal);
  parse_major(scan.layout.pg_version, "'" + pgdata.string() + "'");

  CommitResult result;
  const auto state = load_state(pgdata);
  result.parent = find_parent(catalog, state, o.repo);
  const auto known = parent_leaves(catalog, blobs, o.repo, result.parent, o.concurrency);
  result.known_leaves = known.size();
  result.excluded = scan.excluded_files;
  result.omitted_wal = scan.layout.omitted_wal.size();
  result.omitted_wal_bytes = scan.omitted_wal_bytes;

  // The stat facts before the upload; a file unchanged afterwards gets recorded with its key.
  std::map<std::string, struct stat> before;
  for (const auto& f : scan.files) {
    struct stat st {};
    if (::lstat(f.path.c_str(), &st) != 0) throw_errno("cannot stat", f.path.string());
    before[f.name] = st;
  }

  scan.layout.parent = result.parent;
  const auto own = pgdata / std::string(kOwnDir);
  std::error_code ec;
  fs::create_directories(own, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create '" + own.string() + "': " + ec.message());
  const auto manifest_path = own / "layout.json";
  const auto manifest = to_json(scan.layout);
  write_file_atomic(manifest_path, manifest, 0600, AtomicWrite::Replace);
  // Everything in PGDATA belongs to the server's user, our own folder included.
  if (::geteuid() == 0) {
    for (const auto& p : {own, manifest_path}) {
      if (::lchown(p.c_str(), pg.user().uid, pg.user().gid) != 0) {
        throw_errno("cannot give to user '" + pg.user().name + "'", p.string());
      }
    }
  }
  auto files = scan.files;
  files.push_back({kLayoutEntryName, manifest_path, 0600, manifest.size()});

  transfer::UploadOptions up;
  up.repo = o.repo;
  up.message = o.message;
  up.label = o.label;
  up.contributor = o.contributor;
  if (!result.parent.empty()) up.parents = {result.parent};
  up.concurrency = o.concurrency;
  up.known = &known;
  up.show_progress = o.show_progress;
  result.upload = transfer::upload_bundle(files, catalog, blobs, up);

  RestoreState next;
  next.repo = o.repo;
  next.bundle = result.upload.bundle_id;
  const auto bundle = catalog.get_bundle(o.repo, next.bundle);
  for (const auto& e : catalog.get_entries(o.repo, bundle, o.concurrency)) {
    auto it = before.find(e.name);
    if (it == before.end()) continue;
    const auto recorded = facts_of(it->second, e.hash);
    struct stat now {};
    if (::lstat((pgdata / e.name).c_str(), &now) == 0 && unchanged(now, recorded)) next.files[e.name] = recorded;
  }
  save_state(pgdata, next);
  if (::geteuid() == 0 && ::lchown(state_path(pgdata).c_str(), pg.user().uid, pg.user().gid) != 0) {
    throw_errno("cannot give to user '" + pg.user().name + "'", state_path(pgdata).string());
  }
  return result;
}

}  // namespace dm::pgmover
