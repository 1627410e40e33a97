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
#include "pgmover/ownership.h"
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

// What the parent lets a commit skip: files taken by their key, and leaves sent as known.
struct ParentKnowledge {
  std::map<std::string, cafs::Key> known_roots;  // file name → root key: neither read nor hashed
  cafs::KeySet known_leaves;                     // leaves of the parent's entries of the other files
  uint64_t trusted_leaves = 0;                   // leaves of the files in known_roots
};

// Step "trust": a file the record vouches for (the record is the parent's, and the file's stat
// facts, key and size are the parent entry's) is taken by its key; the leaves of the parent's
// entries of the others are known, so unchanged ones cost no existence request.
ParentKnowledge trust_parent(model::Catalog& catalog, store::Store& blobs, const CommitOptions& o,
                             const std::string& parent, const std::optional<RestoreState>& state,
                             const StatSnapshot& before) {
  ParentKnowledge k;
  if (parent.empty()) return k;
  const auto parent_bundle = catalog.get_bundle(o.repo, parent);
  const auto parent_entries = catalog.get_entries(o.repo, parent_bundle, o.concurrency);
  std::map<std::string, const model::BundleEntry*> by_name;
  for (const auto& e : parent_entries) by_name[e.name] = &e;
  const bool record_is_parent = state && state->bundle == parent;
  std::vector<const model::BundleEntry*> to_hash_in_parent;
  for (const auto& [name, now] : before.files) {
    auto p = by_name.find(name);
    if (p == by_name.end()) continue;
    if (record_is_parent) {
      auto r = state->files.find(name);
      const auto key = cafs::Key::from_hex(p->second->hash);
      if (r != state->files.end() && key && r->second.key == p->second->hash && p->second->size == now.size &&
          FileFacts{now.dev, now.ino, now.size, now.mtime_ns, now.ctime_ns, r->second.key} == r->second) {
        k.known_roots.emplace(name, *key);
        k.trusted_leaves += (now.size + parent_bundle.leaf_size - 1) / parent_bundle.leaf_size;
        continue;
      }
    }
    to_hash_in_parent.push_back(p->second);
  }
  k.known_leaves = parent_leaves(blobs, parent_bundle, to_hash_in_parent, o.concurrency);
  return k;
}

// Step "manifest": writes the layout manifest (naming the parent) into pgmover's folder, given
// to the server's user like everything in PGDATA; returns its file for the upload.
transfer::SourceFile write_manifest(PgCtl& pg, DataDirScan& scan, const std::string& parent) {
  scan.layout.parent = parent;
  const auto own = pg.pgdata() / std::string(kOwnDir);
  std::error_code ec;
  fs::create_directories(own, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create " + dm::quoted(own.string()) + ": " + ec.message());
  const auto manifest_path = own / "layout.json";
  const auto manifest = to_json(scan.layout);
  write_file_atomic(manifest_path, manifest, 0600, AtomicWrite::Replace);
  give_to(own, pg.user());
  give_to(manifest_path, pg.user());
  return {kLayoutEntryName, manifest_path, 0600, manifest.size()};
}

// Step "record": the new bundle becomes the next commit's parent; each of its files whose stat
// facts were settled before the upload and are unchanged after it is recorded with its key.
void record_commit(PgCtl& pg, model::Catalog& catalog, const CommitOptions& o, const std::string& bundle_id,
                   const StatSnapshot& before) {
  RestoreState next;
  next.repo = o.repo;
  next.bundle = bundle_id;
  const auto bundle = catalog.get_bundle(o.repo, bundle_id);
  for (const auto& e : catalog.get_entries(o.repo, bundle, o.concurrency)) {
    if (auto facts = recordable(before, e.name, pg.pgdata() / e.name, e.hash)) next.files[e.name] = *facts;
  }
  save_state(pg.pgdata(), next, pg.user());
}

}  // namespace

// The steps: check the cluster (clean shutdown, version), scan it, find the parent, take the
// stat facts, trust what the parent vouches for, write the manifest, upload, record.
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

  // The stat facts before the upload: what the record is checked against now, and what a file
  // unchanged after the upload is recorded with.
  std::map<std::string, fs::path> paths;
  for (const auto& f : scan.files) paths.emplace(f.name, f.path);
  const auto before = take_snapshot(paths);
  const auto parent = trust_parent(catalog, blobs, o, result.parent, state, before);
  result.known_leaves = parent.trusted_leaves + parent.known_leaves.size();
  result.trusted_files = parent.known_roots.size();

  auto files = scan.files;
  files.push_back(write_manifest(pg, scan, result.parent));
  transfer::UploadOptions up;
  up.repo = o.repo;
  up.message = o.message;
  up.label = o.label;
  up.contributor = o.contributor;
  if (!result.parent.empty()) up.parents = {result.parent};
  up.concurrency = o.concurrency;
  up.known = &parent.known_leaves;
  up.known_roots = &parent.known_roots;
  up.show_progress = o.show_progress;
  result.upload = transfer::upload_bundle(files, catalog, blobs, up);

  record_commit(pg, catalog, o, result.upload.bundle_id, before);
  return result;
}

}  // namespace dm::pgmover
