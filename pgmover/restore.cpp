#include "pgmover/restore.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

#include "common/cafs/reader.h"
#include "common/transfer/download.h"
#include "common/util/error.h"
#include "common/util/files.h"
#include "common/util/progress.h"
#include "pgmover/exclusions.h"
#include "pgmover/file_sync.h"
#include "pgmover/layout_manifest.h"
#include "pgmover/ownership.h"
#include "pgmover/restore_state.h"
#include "pgmover/upgrade.h"

namespace fs = std::filesystem;

namespace dm::pgmover {

namespace {

constexpr const char* kPgControl = "global/pg_control";

std::string read_entry(cafs::Reader& reader, const model::BundleEntry& e, const std::string& bundle_id) {
  const auto root = cafs::Key::from_hex(e.hash);
  if (!root)
    throw Error(ErrorKind::Corrupt,
                "bundle " + dm::quoted(bundle_id) + " entry " + dm::quoted(e.name) + " has an invalid hash");
  // The manifest and PG_VERSION are small; a bundle that says otherwise is not believed.
  constexpr uint64_t kMaxSmallEntry = uint64_t{64} << 20;
  if (e.size > kMaxSmallEntry) {
    throw Error(ErrorKind::Corrupt, "bundle " + dm::quoted(bundle_id) + " entry " + dm::quoted(e.name) +
                                        " is larger than " + std::to_string(kMaxSmallEntry) + " bytes");
  }
  const auto keys = reader.leaf_keys(*root);
  std::string data;
  for (size_t i = 0; i < keys.size() && data.size() <= e.size; ++i) data += reader.fetch_leaf(keys, i);
  if (data.size() != e.size) {
    throw Error(ErrorKind::Corrupt,
                "bundle " + dm::quoted(bundle_id) + " entry " + dm::quoted(e.name) + " has the wrong size");
  }
  return data;
}

void remove_path(const fs::path& p, uint64_t& removed) {
  std::error_code ec;
  fs::remove_all(p, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot remove " + dm::quoted(p.string()) + ": " + ec.message());
  ++removed;
}

struct Expected {
  std::set<std::string> files;
  std::set<std::string> dirs;
  std::map<std::string, std::string> symlinks;
};

// Removes whatever under `dir` the bundle does not hold (pgmover's own folder aside).
void remove_extras(const fs::path& pgdata, const fs::path& dir, const Expected& want, uint64_t& removed) {
  std::vector<fs::path> children;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) children.push_back(entry.path());
  if (ec) throw Error(ErrorKind::Io, "cannot read " + dm::quoted(dir.string()) + ": " + ec.message());
  for (const auto& path : children) {
    const auto rel = path.lexically_relative(pgdata).generic_string();
    if (rel == kOwnDir) continue;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;
      throw_errno("cannot stat", path.string());
    }
    if (S_ISLNK(st.st_mode)) {
      auto it = want.symlinks.find(rel);
      std::error_code lec;
      if (it != want.symlinks.end() && fs::read_symlink(path, lec).string() == it->second && !lec) continue;
      remove_path(path, removed);
    } else if (S_ISDIR(st.st_mode)) {
      if (want.dirs.count(rel)) {
        remove_extras(pgdata, path, want, removed);
      } else {
        remove_path(path, removed);
      }
    } else if (!(S_ISREG(st.st_mode) && want.files.count(rel))) {
      remove_path(path, removed);
    }
  }
}

// True when `name` is `link` or lies below it.
bool at_or_below(const std::string& name, const std::string& link) {
  return name == link || (name.size() > link.size() && name.starts_with(link) && name[link.size()] == '/');
}

// A symlink of the manifest may not sit on the path of a file or directory of the bundle, nor
// be one: writing, creating or chmod-ing that would go through the link, outside PGDATA.
void refuse_paths_through_symlinks(const Expected& want, const std::string& what) {
  for (const auto& [link, target] : want.symlinks) {
    for (const auto* names : {&want.files, &want.dirs}) {
      auto it = names->lower_bound(link);
      if (it != names->end() && at_or_below(*it, link)) {
        throw Error(ErrorKind::Corrupt,
                    what + " has " + dm::quoted(*it) + " at or below its symlink " + dm::quoted(link));
      }
    }
    auto next = want.symlinks.upper_bound(link);
    if (next != want.symlinks.end() && at_or_below(next->first, link)) {
      throw Error(ErrorKind::Corrupt,
                  what + " has the symlink " + dm::quoted(next->first) + " below its symlink " + dm::quoted(link));
    }
  }
}

// The permission bits a file of the bundle gets (0600 when the entry has none).
unsigned file_mode(const model::BundleEntry& e) {
  const unsigned mode = model::permission_bits(e.mode);
  return mode != 0 ? mode : 0600;
}

// Step "check target": refuses a directory a server runs on, and a non-empty one that is
// neither a data directory nor one an earlier restore of ours began, whose content a restore
// would replace. Nothing is changed.
void check_target(const fs::path& pgdata) {
  std::error_code ec;
  if (!fs::exists(pgdata, ec)) return;
  require_no_server(pgdata, "stop it before restoring");
  if (!fs::is_empty(pgdata, ec) && !fs::exists(pgdata / "PG_VERSION") && !fs::exists(pgdata / std::string(kOwnDir))) {
    throw Error(ErrorKind::InvalidArgument, dm::quoted(pgdata.string()) +
                                                " is not empty and not a PostgreSQL data directory; refusing to "
                                                "replace its content");
  }
}

// A bundle's entries sorted by the part each plays in a restore.
struct BundlePlan {
  model::BundleDescriptor bundle;
  std::string what;                         // "bundle '<id>'", for messages
  model::BundleEntry control;               // global/pg_control: written last
  std::vector<model::BundleEntry> data;     // every other file to restore, by its checked name
  std::map<std::string, std::string> keys;  // every file to restore, pg_control included → root key
  int data_major = 0;                       // from PG_VERSION
  LayoutManifest layout;                    // folders (parents first), modes, symlinks
  Expected want;                            // what the directory holds when done
};

// Step "classify": reads the bundle's entries (names checked) and sorts them: the layout
// manifest, PG_VERSION (read for its major), pg_control, the data files. A bundle without a
// manifest is a Go pg sidecar's: its layout is made from its files, and its postmaster.pid and
// .opts are left out. A bundle without PG_VERSION or pg_control is refused. Nothing is written.
BundlePlan classify(model::Catalog& catalog, cafs::Reader& reader, const model::BundleDescriptor& bundle,
                    const RestoreOptions& o) {
  BundlePlan plan;
  plan.bundle = bundle;
  plan.what = "bundle " + dm::quoted(bundle.id);
  const auto entries = catalog.get_entries(o.repo, bundle, o.concurrency);
  const auto names = transfer::checked_entry_names(entries, bundle.id);
  const bool has_layout = std::find(names.begin(), names.end(), kLayoutEntryName) != names.end();
  const model::BundleEntry* layout_entry = nullptr;
  const model::BundleEntry* version_entry = nullptr;
  const model::BundleEntry* control_entry = nullptr;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (names[i] == kLayoutEntryName) {
      layout_entry = &entries[i];
      continue;
    }
    // A Go sidecar bundle is the data directory as it was: its pid and opts files are not
    // restored (PostgreSQL's exclusion list; our commits never hold them).
    if (!has_layout && is_excluded(names[i])) continue;
    if (names[i] == "PG_VERSION") version_entry = &entries[i];
    if (names[i] == kPgControl) {
      control_entry = &entries[i];
    } else {
      plan.data.push_back(entries[i]);
      plan.data.back().name = names[i];
    }
    plan.keys[names[i]] = entries[i].hash;
    plan.want.files.insert(names[i]);
  }
  if (!version_entry || !control_entry) {
    throw Error(ErrorKind::InvalidArgument,
                plan.what + " has no PG_VERSION or global/pg_control: not a PostgreSQL cluster");
  }
  plan.control = *control_entry;
  plan.control.name = kPgControl;
  plan.data_major = parse_major(read_entry(reader, *version_entry, bundle.id), plan.what);
  if (layout_entry) {
    plan.layout = parse_layout(read_entry(reader, *layout_entry, bundle.id), plan.what);
  } else {
    // No manifest: a data directory the Go pg sidecar uploaded (wrap_datamon_pg.sh).
    std::vector<std::string> files(plan.want.files.begin(), plan.want.files.end());
    plan.layout = go_sidecar_layout(files, plan.data_major);
    spdlog::info("bundle {} has no {}: restoring it as a Go pg sidecar bundle", bundle.id, kLayoutEntryName);
  }
  for (const auto& d : plan.layout.directories) {
    if (!d.path.empty()) plan.want.dirs.insert(d.path);
  }
  for (const auto& l : plan.layout.symlinks) plan.want.symlinks[l.path] = l.target;
  return plan;
}

// Step "prepare": marks the directory ours (so that a rerun after a crash is accepted) and
// makes it unstartable by removing pg_control, then removes what the bundle does not hold and
// creates its folders and symlinks. Counts what was removed in `removed`.
void prepare_target(const fs::path& pgdata, const BundlePlan& plan, uint64_t& removed) {
  std::error_code ec;
  fs::create_directories(pgdata / std::string(kOwnDir), ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create " + dm::quoted(pgdata.string()) + ": " + ec.message());
  if (::chmod(pgdata.c_str(), 0700) != 0) throw_errno("cannot chmod", pgdata.string());
  // Only through a real folder: a `global` that is a symlink is removed below as an extra.
  struct stat global_st {};
  if (::lstat((pgdata / "global").c_str(), &global_st) == 0 && S_ISDIR(global_st.st_mode) &&
      ::unlink((pgdata / kPgControl).c_str()) == 0) {
    fsync_path(pgdata / "global");
  } else if (errno != ENOENT) {
    throw_errno("cannot remove", (pgdata / kPgControl).string());
  }

  remove_extras(pgdata, pgdata, plan.want, removed);
  for (const auto& d : plan.layout.directories) {  // sorted: parents first
    if (d.path.empty()) continue;
    fs::create_directory(pgdata / d.path, ec);
    if (ec) throw Error(ErrorKind::Io, "cannot create " + dm::quoted((pgdata / d.path).string()) + ": " + ec.message());
  }
  for (const auto& l : plan.layout.symlinks) {
    const auto link = pgdata / l.path;
    if (fs::is_symlink(fs::symlink_status(link, ec))) continue;  // remove_extras kept only right ones
    fs::create_symlink(l.target, link, ec);
    if (ec) throw Error(ErrorKind::Io, "cannot create symlink " + dm::quoted(link.string()) + ": " + ec.message());
  }
}

// Step "sync data": brings every data file (not pg_control) to the bundle's content. The local
// record vouches for a file's key only while its stat facts are unchanged; the others are
// hashed. Nothing is synced yet.
SyncStats sync_data(const fs::path& pgdata, const BundlePlan& plan, cafs::Reader& reader, const RestoreOptions& o) {
  const auto record = load_state(pgdata);
  auto vouched = [&](const std::string& name) -> std::string {
    if (!record) return {};
    auto it = record->files.find(name);
    struct stat st {};
    if (it == record->files.end() || ::lstat((pgdata / name).c_str(), &st) != 0 || !unchanged(st, it->second))
      return {};
    return it->second.key;
  };
  std::vector<SyncTask> tasks;
  tasks.reserve(plan.data.size());
  uint64_t total = 0;
  for (const auto& e : plan.data) {
    tasks.push_back(SyncTask{e, pgdata / e.name, vouched(e.name), file_mode(e)});
    total += e.size;
  }
  Progress progress("restore", total, tasks.size(), !o.show_progress);
  auto stats = sync_files(tasks, reader, o.owner, o.concurrency, &progress);
  progress.finish();
  return stats;
}

// Step "modes": every data file, folder (deepest first), symlink and pgmover's own folder gets
// the bundle's mode and the cluster's owner.
void apply_modes(const fs::path& pgdata, const BundlePlan& plan, const OsUser& owner) {
  for (const auto& e : plan.data) set_mode_and_owner(pgdata / e.name, file_mode(e), owner);
  for (auto it = plan.layout.directories.rbegin(); it != plan.layout.directories.rend(); ++it) {
    set_mode_and_owner(pgdata / it->path, model::permission_bits(it->mode), owner);
  }
  for (const auto& l : plan.layout.symlinks) give_to(pgdata / l.path, owner);
  set_mode_and_owner(pgdata / std::string(kOwnDir), 0700, owner);
}

// Step "pg_control", last: until it is there, PostgreSQL refuses to start on a half-restored
// tree. It appears in one step, with its final content, mode and owner: written, owned and
// synced under a temporary name in our own folder (a kill there leaves no pg_control), then
// renamed into place and its folder synced.
SyncStats write_pg_control(const fs::path& pgdata, const model::BundleEntry& control, cafs::Reader& reader,
                           const OsUser& owner) {
  const auto control_path = pgdata / kPgControl;
  const auto control_temp = pgdata / std::string(kOwnDir) / "pg_control.restoring";
  if (::unlink(control_temp.c_str()) != 0 && errno != ENOENT) throw_errno("cannot remove", control_temp.string());
  const auto written = sync_files({SyncTask{control, control_temp, {}, file_mode(control)}}, reader, owner, 1);
  set_mode_and_owner(control_temp, file_mode(control), owner);
  fsync_path(control_temp);
  // As sync_files would have for the file in place: a bundle need not list global/ itself.
  std::error_code ec;
  fs::create_directories(control_path.parent_path(), ec);
  if (ec) {
    throw Error(ErrorKind::Io,
                "cannot create " + dm::quoted(control_path.parent_path().string()) + ": " + ec.message());
  }
  if (::rename(control_temp.c_str(), control_path.c_str()) != 0)
    throw_errno("cannot rename into", control_path.string());
  fsync_path(pgdata / "global");
  return written;
}

// Step "record": the bundle restored, and the stat facts of every file just written once no
// write can share their clock tick, so that the next restore or commit trusts them.
void record_restore(const fs::path& pgdata, const BundlePlan& plan, const RestoreOptions& o) {
  RestoreState state;
  state.repo = o.repo;
  state.bundle = plan.bundle.id;
  state.files = settled_record(pgdata, plan.keys);
  save_state(pgdata, state, o.owner);
  fsync_path(pgdata / std::string(kOwnDir));
}

RestoreResult result_of(const std::string& bundle_id, uint64_t removed, const SyncStats& data,
                        const SyncStats& control) {
  RestoreResult r;
  r.bundle_id = bundle_id;
  r.removed = removed;
  r.files_written = data.files_written + control.files_written;
  r.files_patched = data.files_patched + control.files_patched;
  r.files_kept = data.files_kept;
  r.files_hashed = data.files_hashed + control.files_hashed;
  r.leaves_total = data.leaves_total + control.leaves_total;
  r.leaves_fetched = data.leaves_fetched + control.leaves_fetched;
  r.bytes_written = data.bytes_written + control.bytes_written;
  return r;
}

}  // namespace

// The steps, as pgBackRest's cmdRestore: check the target, classify the bundle's entries, check
// versions and layout, prepare the directory, sync the data, set modes and owners, sync the file
// system once, write pg_control, record what was restored.
RestoreResult restore(model::Catalog& catalog, store::Store& blobs, const RestoreOptions& o) {
  const fs::path pgdata = fs::absolute(o.pgdata).lexically_normal();
  check_target(pgdata);

  const auto bundle = catalog.get_bundle(o.repo, catalog.resolve_bundle(o.repo, o.bundle_id, o.label));
  cafs::Reader reader(blobs, bundle.leaf_size, bundle.version < 1, o.verify);
  const auto plan = classify(catalog, reader, bundle, o);
  if (o.upgrade && plan.data_major < o.binaries.major) {
    // The bundle is resolved: the inner restore must fetch this one, not resolve the label again.
    RestoreOptions exact = o;
    exact.bundle_id = bundle.id;
    exact.label.clear();
    return restore_with_upgrade(catalog, blobs, exact, plan.data_major);
  }
  check_version(plan.data_major, o.binaries, plan.what, o.old_bindir);
  refuse_paths_through_symlinks(plan.want, plan.what);

  uint64_t removed = 0;
  prepare_target(pgdata, plan, removed);
  const auto data = sync_data(pgdata, plan, reader, o);
  apply_modes(pgdata, plan, o.owner);
  // One sync of everything written (started in the background file by file) instead of an
  // fsync per file.
  sync_file_system(pgdata);
  const auto control = write_pg_control(pgdata, plan.control, reader, o.owner);
  auto result = result_of(bundle.id, removed, data, control);
  record_restore(pgdata, plan, o);
  spdlog::debug("restored bundle={} written={} patched={} kept={} hashed={} removed={} leaves_fetched={}", bundle.id,
                result.files_written, result.files_patched, result.files_kept, result.files_hashed, result.removed,
                result.leaves_fetched);
  return result;
}

}  // namespace dm::pgmover
