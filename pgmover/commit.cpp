#include "pgmover/commit.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

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

// Leaves of the parent's entries named in `names` (the files about to be hashed): the likely
// source of their unchanged leaves, sent without an existence request.
cafs::KeySet parent_leaves(store::Store& blobs, const model::BundleDescriptor& parent,
                           const std::vector<const model::BundleEntry*>& entries, unsigned concurrency) {
  cafs::KeySet known;
  cafs::Reader reader(blobs, parent.leaf_size, parent.version < 1);
  std::mutex mutex;
  parallel_for(entries.size(), concurrency, [&](size_t i) {
    const auto root = cafs::Key::from_hex(entries[i]->hash);
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
  const auto control = pg.require_clean_shutdown();
  const auto& pgdata = pg.pgdata();
  pg.ensure_go_pg_version();  // so that the Go pg sidecar can restore the bundle
  auto scan = scan_data_dir(pgdata, control, o.keep_all_wal);
  parse_major(scan.layout.pg_version, dm::quoted(pgdata.string()));

  CommitResult result;
  const auto state = load_state(pgdata);
  result.parent = find_parent(catalog, state, o.repo);
  result.excluded = scan.excluded_files;
  result.omitted_wal = scan.layout.omitted_wal.size();
  result.omitted_wal_bytes = scan.omitted_wal_bytes;

  // The stat facts before the upload: a file the record vouches for, as the parent's entry of
  // the same name and size, is taken by its key; the others are hashed. A file unchanged
  // after the upload gets recorded with its key for the next commit.
  const int64_t stat_begin = now_ns();
  std::map<std::string, FileFacts> before;
  for (const auto& f : scan.files) {
    struct stat st {};
    if (::lstat(f.path.c_str(), &st) != 0) throw_errno("cannot stat", f.path.string());
    before[f.name] = facts_of(st, "");
  }
  std::map<std::string, cafs::Key> known_roots;
  std::vector<const model::BundleEntry*> to_hash_in_parent;
  std::vector<model::BundleEntry> parent_entries;
  model::BundleDescriptor parent_bundle;
  if (!result.parent.empty()) {
    parent_bundle = catalog.get_bundle(o.repo, result.parent);
    parent_entries = catalog.get_entries(o.repo, parent_bundle, o.concurrency);
    std::map<std::string, const model::BundleEntry*> by_name;
    for (const auto& e : parent_entries) by_name[e.name] = &e;
    const bool record_is_parent = state && state->bundle == result.parent;
    for (const auto& f : scan.files) {
      auto p = by_name.find(f.name);
      if (p == by_name.end()) continue;
      const auto& now = before[f.name];
      if (record_is_parent) {
        auto r = state->files.find(f.name);
        const auto key = cafs::Key::from_hex(p->second->hash);
        if (r != state->files.end() && key && r->second.key == p->second->hash && p->second->size == now.size &&
            FileFacts{now.dev, now.ino, now.size, now.mtime_ns, now.ctime_ns, r->second.key} == r->second) {
          known_roots.emplace(f.name, *key);
          result.known_leaves += (now.size + parent_bundle.leaf_size - 1) / parent_bundle.leaf_size;
          continue;
        }
      }
      to_hash_in_parent.push_back(p->second);
    }
  }
  const auto known =
      result.parent.empty() ? cafs::KeySet{} : parent_leaves(blobs, parent_bundle, to_hash_in_parent, o.concurrency);
  result.known_leaves += known.size();
  result.trusted_files = known_roots.size();

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
  up.known_roots = &known_roots;
  up.show_progress = o.show_progress;
  result.upload = transfer::upload_bundle(files, catalog, blobs, up);

  RestoreState next;
  next.repo = o.repo;
  next.bundle = result.upload.bundle_id;
  const auto bundle = catalog.get_bundle(o.repo, next.bundle);
  for (const auto& e : catalog.get_entries(o.repo, bundle, o.concurrency)) {
    auto it = before.find(e.name);
    if (it == before.end() || !settled(it->second, stat_begin)) continue;
    auto recorded = it->second;
    recorded.key = e.hash;
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
