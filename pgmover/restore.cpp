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

void set_mode_and_owner(const fs::path& p, unsigned mode, const OsUser& owner) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) throw_errno("cannot stat", p.string());
  if ((st.st_mode & 07777) != mode && ::chmod(p.c_str(), mode) != 0) throw_errno("cannot chmod", p.string());
  if (::geteuid() == 0 && (st.st_uid != owner.uid || st.st_gid != owner.gid) &&
      ::lchown(p.c_str(), owner.uid, owner.gid) != 0) {
    throw_errno("cannot give to user " + dm::quoted(owner.name), p.string());
  }
}

}  // namespace

RestoreResult restore(model::Catalog& catalog, store::Store& blobs, const RestoreOptions& o) {
  const fs::path pgdata = fs::absolute(o.pgdata).lexically_normal();
  std::error_code ec;
  if (fs::exists(pgdata, ec)) {
    if (auto pid = running_postmaster(pgdata)) {
      throw Error(ErrorKind::InvalidArgument, "a server is running on " + dm::quoted(pgdata.string()) + " (pid " +
                                                  std::to_string(*pid) + "); stop it before restoring");
    }
    if (!fs::is_empty(pgdata, ec) && !fs::exists(pgdata / "PG_VERSION") && !fs::exists(pgdata / std::string(kOwnDir))) {
      throw Error(ErrorKind::InvalidArgument, "'" + pgdata.string() +
                                                  "' is not empty and not a PostgreSQL data directory; refusing to "
                                                  "replace its content");
    }
  }

  RestoreResult result;
  result.bundle_id = catalog.resolve_bundle(o.repo, o.bundle_id, o.label);
  const auto bundle = catalog.get_bundle(o.repo, result.bundle_id);
  const auto entries = catalog.get_entries(o.repo, bundle, o.concurrency);
  const auto names = transfer::checked_entry_names(entries, bundle.id);
  const std::string what = "bundle " + dm::quoted(bundle.id);

  cafs::Reader reader(blobs, bundle.leaf_size, bundle.version < 1, o.verify);
  const model::BundleEntry* layout_entry = nullptr;
  const model::BundleEntry* version_entry = nullptr;
  const model::BundleEntry* control_entry = nullptr;
  std::vector<model::BundleEntry> data_entries;
  Expected want;
  bool has_layout = false;
  for (size_t i = 0; i < entries.size(); ++i) has_layout = has_layout || names[i] == kLayoutEntryName;
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
      data_entries.push_back(entries[i]);
      data_entries.back().name = names[i];
    }
    want.files.insert(names[i]);
  }
  if (!version_entry || !control_entry) {
    throw Error(ErrorKind::InvalidArgument, what + " has no PG_VERSION or global/pg_control: not a PostgreSQL cluster");
  }
  const int data_major = parse_major(read_entry(reader, *version_entry, bundle.id), what);
  LayoutManifest layout;
  if (layout_entry) {
    layout = parse_layout(read_entry(reader, *layout_entry, bundle.id), what);
  } else {
    // No manifest: a data directory the Go pg sidecar uploaded (wrap_datamon_pg.sh).
    std::vector<std::string> files(want.files.begin(), want.files.end());
    layout = go_sidecar_layout(files, data_major);
    spdlog::info("bundle {} has no {}: restoring it as a Go pg sidecar bundle", bundle.id, kLayoutEntryName);
  }
  if (o.upgrade && data_major < o.binaries.major) {
    // The bundle is resolved: the inner restore must fetch this one, not resolve the label again.
    RestoreOptions exact = o;
    exact.bundle_id = bundle.id;
    exact.label.clear();
    return restore_with_upgrade(catalog, blobs, exact, data_major);
  }
  check_version(data_major, o.binaries, what, o.old_bindir);
  for (const auto& d : layout.directories) {
    if (!d.path.empty()) want.dirs.insert(d.path);
  }
  for (const auto& s : layout.symlinks) want.symlinks[s.path] = s.target;
  refuse_paths_through_symlinks(want, what);

  // From here on the directory is ours: mark it so that a rerun after a crash is accepted.
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

  remove_extras(pgdata, pgdata, want, result.removed);
  for (const auto& d : layout.directories) {  // sorted: parents first
    if (d.path.empty()) continue;
    fs::create_directory(pgdata / d.path, ec);
    if (ec) throw Error(ErrorKind::Io, "cannot create '" + (pgdata / d.path).string() + "': " + ec.message());
  }
  for (const auto& s : layout.symlinks) {
    const auto link = pgdata / s.path;
    if (fs::is_symlink(fs::symlink_status(link, ec))) continue;  // remove_extras kept only right ones
    fs::create_symlink(s.target, link, ec);
    if (ec) throw Error(ErrorKind::Io, "cannot create symlink " + dm::quoted(link.string()) + ": " + ec.message());
  }

  const auto record = load_state(pgdata);
  // The record vouches for a file's key only while its stat facts are unchanged.
  auto vouched = [&](const std::string& name) -> std::string {
    if (!record) return {};
    auto it = record->files.find(name);
    struct stat st {};
    if (it == record->files.end() || ::lstat((pgdata / name).c_str(), &st) != 0 || !unchanged(st, it->second))
      return {};
    return it->second.key;
  };
  auto task_of = [&](const model::BundleEntry& e) {
    return SyncTask{e, pgdata / e.name, vouched(e.name), e.mode & 07777 ? e.mode & 07777 : 0600};
  };
  std::vector<SyncTask> tasks;
  tasks.reserve(data_entries.size());
  uint64_t total = 0;
  for (const auto& e : data_entries) {
    tasks.push_back(task_of(e));
    total += e.size;
  }
  SyncStats data;
  {
    Progress progress("restore", total, tasks.size(), !o.show_progress);
    data = sync_files(tasks, reader, o.owner, o.concurrency, &progress);
    progress.finish();
  }

  for (const auto& e : data_entries)
    set_mode_and_owner(pgdata / e.name, e.mode & 07777 ? e.mode & 07777 : 0600, o.owner);
  for (auto it = layout.directories.rbegin(); it != layout.directories.rend(); ++it) {
    set_mode_and_owner(pgdata / it->path, it->mode, o.owner);
  }
  for (const auto& s : layout.symlinks) {
    if (::geteuid() == 0 && ::lchown((pgdata / s.path).c_str(), o.owner.uid, o.owner.gid) != 0) {
      throw_errno("cannot give to user " + dm::quoted(o.owner.name), (pgdata / s.path).string());
    }
  }
  set_mode_and_owner(pgdata / std::string(kOwnDir), 0700, o.owner);
  // One sync of everything written (started in the background file by file) instead of an
  // fsync per file.
  sync_file_system(pgdata);

  // Last: pg_control. Until it is there, PostgreSQL refuses to start on a half-restored tree.
  // It appears in one step, with its final content, mode and owner: written, owned and synced
  // under a temporary name in our own folder (a kill there leaves no pg_control), then renamed.
  model::BundleEntry control = *control_entry;
  control.name = kPgControl;
  const auto control_path = pgdata / kPgControl;
  const auto control_temp = pgdata / std::string(kOwnDir) / "pg_control.restoring";
  if (::unlink(control_temp.c_str()) != 0 && errno != ENOENT) throw_errno("cannot remove", control_temp.string());
  const unsigned control_mode = control.mode & 07777 ? control.mode & 07777 : 0600;
  const auto written = sync_files({SyncTask{control, control_temp, {}, control_mode}}, reader, o.owner, 1);
  set_mode_and_owner(control_temp, control_mode, o.owner);
  fsync_path(control_temp);
  // As sync_files would have for the file in place: a bundle need not list global/ itself.
  std::error_code dir_ec;
  fs::create_directories(control_path.parent_path(), dir_ec);
  if (dir_ec)
    throw Error(ErrorKind::Io, "cannot create '" + control_path.parent_path().string() + "': " + dir_ec.message());
  if (::rename(control_temp.c_str(), control_path.c_str()) != 0)
    throw_errno("cannot rename into", control_path.string());
  fsync_path(pgdata / "global");
  result.files_written = data.files_written + written.files_written;
  result.files_patched = data.files_patched + written.files_patched;
  result.files_kept = data.files_kept;
  result.files_hashed = data.files_hashed + written.files_hashed;
  result.leaves_total = data.leaves_total + written.leaves_total;
  result.leaves_fetched = data.leaves_fetched + written.leaves_fetched;
  result.bytes_written = data.bytes_written + written.bytes_written;

  // The record: stat facts of what was just written, once no write can share their clock tick.
  RestoreState state;
  state.repo = o.repo;
  state.bundle = bundle.id;
  int64_t newest = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (names[i] == kLayoutEntryName || (!has_layout && is_excluded(names[i]))) continue;
    struct stat st {};
    if (::lstat((pgdata / names[i]).c_str(), &st) != 0) throw_errno("cannot stat", (pgdata / names[i]).string());
    newest = std::max(newest, facts_of(st, "").ctime_ns);
  }
  wait_until_settled(newest);
  const int64_t stat_begin = now_ns();
  for (size_t i = 0; i < entries.size(); ++i) {
    if (names[i] == kLayoutEntryName || (!has_layout && is_excluded(names[i]))) continue;
    struct stat st {};
    if (::lstat((pgdata / names[i]).c_str(), &st) != 0) throw_errno("cannot stat", (pgdata / names[i]).string());
    const auto facts = facts_of(st, entries[i].hash);
    if (settled(facts, stat_begin)) state.files[names[i]] = facts;
  }
  save_state(pgdata, state);
  set_mode_and_owner(state_path(pgdata), 0600, o.owner);
  fsync_path(pgdata / std::string(kOwnDir));
  spdlog::debug("restored bundle={} written={} patched={} kept={} hashed={} removed={} leaves_fetched={}", bundle.id,
                result.files_written, result.files_patched, result.files_kept, result.files_hashed, result.removed,
                result.leaves_fetched);
  return result;
}

}  // namespace dm::pgmover
