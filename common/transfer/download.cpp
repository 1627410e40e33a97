#include "common/transfer/download.h"

#include <fcntl.h>
#include <re2/re2.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

#include "common/cafs/reader.h"
#include "common/model/catalog.h"
#include "common/model/paths.h"
#include "common/transfer/folder_cache.h"
#include "common/util/error.h"
#include "common/util/files.h"
#include "common/util/progress.h"
#include "common/util/thread_pool.h"

namespace fs = std::filesystem;

namespace dm::transfer {

std::vector<std::string> checked_entry_names(const std::vector<model::BundleEntry>& entries,
                                             const std::string& bundle_id) {
  std::vector<std::string> names;
  names.reserve(entries.size());
  for (const auto& e : entries) {
    auto clean = model::safe_entry_name(e.name);
    if (!clean) {
      throw Error(ErrorKind::InvalidArgument, "bundle " + dm::quoted(bundle_id) + " has an entry named " +
                                                  dm::quoted(e.name) + " that escapes the destination");
    }
    // A component no file system can hold would fail one file of a download, or a whole
    // folder's readdir in a mount: refused up front, naming the entry.
    for (size_t start = 0; start <= clean->size();) {
      const size_t end = std::min(clean->find('/', start), clean->size());
      if (end - start > kMaxNameComponent) {
        throw Error(ErrorKind::InvalidArgument,
                    "bundle " + dm::quoted(bundle_id) + " has an entry named " + dm::quoted(clean->substr(0, 200)) +
                        "... with a name component over " + std::to_string(kMaxNameComponent) + " bytes");
      }
      start = end + 1;
    }
    names.push_back(std::move(*clean));
  }
  // Two entries for one file: which one wins would be up to the scheduler (the mount refuses too).
  std::vector<size_t> order(names.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return names[a] < names[b]; });
  for (size_t k = 1; k < order.size(); ++k) {
    if (names[order[k]] == names[order[k - 1]]) {
      throw Error(ErrorKind::Corrupt, "bundle " + dm::quoted(bundle_id) + " has two entries for " +
                                          dm::quoted(names[order[k]]) + ": " + dm::quoted(entries[order[k - 1]].name) +
                                          " and " + dm::quoted(entries[order[k]].name));
    }
  }
  return names;
}

namespace {

// How a written file gets its name. An unnamed file (O_TMPFILE) in its own folder, linked in
// once whole, takes one lock of that folder; a named temporary in .datamon/tmp renamed across
// folders takes the temporary folder's lock twice and the file system's rename lock, on which
// parallel writers of many small files queue. The unnamed file is used where the final name is
// free and the file system and /proc allow it; a file replacing another (a delta restore), or
// a folder on another file system than the destination, goes through .datamon/tmp.
class Placer {
 public:
  explicit Placer(const fs::path& temp_dir) : temp_dir_(temp_dir) {}

  // An open file to write `rel`'s content to in `folder`, and how to name it afterwards.
  struct Pending {
    UniqueFd fd;
    fs::path tmp;  // empty for an unnamed file
  };

  // The one barrier syncs the destination's file system: in a folder mounted below it the file
  // takes the old path, whose rename across file systems fails as it always did.
  Pending create(const FolderCache::Folder& folder, const fs::path& dest, unsigned mode) {
    if (unnamed_ok_.load(std::memory_order_relaxed) && folder.on_destination_device) {
      UniqueFd fd = open_unnamed(folder.fd.get(), ".", mode, dest.parent_path().string());
      if (fd.valid()) return {std::move(fd), {}};
      unnamed_ok_ = false;  // not on this file system: named temporaries from now on
    }
    auto tmp = temp_name_in(temp_dir_, dest);
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0700));
    if (!fd.valid()) throw_errno("cannot create", tmp.string());
    return {std::move(fd), std::move(tmp)};
  }

  // Gives the written file its name `name` in `folder`, replacing what is there (a symlink is
  // replaced, never followed); closes it.
  void publish(Pending& p, int folder, const std::string& name, const fs::path& dest) {
    if (p.tmp.empty()) {
      publish_unnamed(
          p.fd, folder, name.c_str(), AtomicWrite::Replace, [&] { return temp_name_in(temp_dir_, dest); },
          dest.string());
      return;
    }
    close_checked(p.fd, p.tmp.string());
    if (::renameat(AT_FDCWD, p.tmp.c_str(), folder, name.c_str()) != 0) {
      const int err = errno;
      ::unlink(p.tmp.c_str());
      throw_errno(err, "cannot rename into place", dest.string());
    }
  }

  // Drops a file that will not be published.
  static void discard(Pending& p) {
    p.fd.reset();
    if (!p.tmp.empty()) ::unlink(p.tmp.c_str());
  }

 private:
  fs::path temp_dir_;
  std::atomic<bool> unnamed_ok_{true};
};

// Writes one entry to `rel` below the destination. Its folders are opened from the destination's
// descriptor one component at a time without following symlinks, and the file is named in its
// folder's descriptor: a symlink found in the destination is never written through.
void write_one(cafs::Reader& reader, const model::BundleEntry& e, FolderCache& folders, const fs::path& destination,
               const fs::path& rel, Placer& placer, ThreadPool& pool, Progress& progress) {
  const auto dest = destination / rel;
  const auto root = cafs::Key::from_hex(e.hash);
  if (!root)
    throw Error(ErrorKind::Corrupt, "entry " + dm::quoted(e.name) + " has an invalid hash " + dm::quoted(e.hash));
  const auto folder = folders.open(rel.parent_path());
  const unsigned bits = model::permission_bits(e.mode);
  const unsigned mode = bits != 0 ? bits : 0644;
  // Readable and writable by its owner until it is whole: its leaves reopen it for direct writes.
  auto pending = placer.create(*folder, dest, mode | 0600);
  try {
    reader.read_file_to(*root, e.size, pending.fd.get(), dest.string(), pool, &progress);
    ensure_mode(pending.fd.get(), mode, dest.string());
    // Not synced here: the download ends with one sync of the file system (see download.h).
    if (e.size >= kEarlyWriteBackMin) start_write_back(pending.fd.get(), dest.string());
    placer.publish(pending, folder->fd.get(), rel.filename().string(), dest);
  } catch (...) {
    Placer::discard(pending);
    throw;
  }
}

}  // namespace

DownloadResult download_bundle(const model::BundleDescriptor& bundle, const std::vector<model::BundleEntry>& entries,
                               store::Store& blobs, const fs::path& destination, const DownloadOptions& options) {
  const auto names = checked_entry_names(entries, bundle.id);
  // RE2, the syntax of Go's regexp ((?i) included): linear time and bounded stack whatever the
  // pattern or the entry name, where std::regex recursed per character and overflowed the stack.
  std::optional<RE2> filter;
  if (!options.name_filter.empty()) {
    RE2::Options re_options;
    re_options.set_log_errors(false);
    filter.emplace(options.name_filter, re_options);
    if (!filter->ok()) {
      throw Error(ErrorKind::InvalidArgument,
                  "--name-filter " + dm::quoted(options.name_filter) + " is not a valid regex: " + filter->error());
    }
  }
  std::vector<size_t> chosen;
  uint64_t total = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (filter && !RE2::PartialMatch(names[i], *filter)) continue;
    chosen.push_back(i);
    total += entries[i].size;
  }
  std::error_code ec;
  fs::create_directories(destination, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create destination '" + destination.string() + "': " + ec.message());
  const UniqueFd destination_fd(::open(destination.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!destination_fd.valid()) throw_errno("cannot open destination", destination.string());
  // Temporaries of an earlier, killed download are dropped; ours go to a fresh folder. A
  // `.datamon` that is not a real folder (a symlink planted in the destination) is refused, so
  // nothing is created or deleted through it.
  const auto meta_dir = destination / ".datamon";
  struct stat meta_st {};
  const bool had_meta_dir = ::fstatat(destination_fd.get(), ".datamon", &meta_st, AT_SYMLINK_NOFOLLOW) == 0;
  open_folder_below(destination_fd.get(), ".datamon", true, destination);
  // Until the end, a marker says the destination holds an unfinished download (of which bundle).
  const auto marker = meta_dir / kIncompleteMarker;
  if (::fstatat(destination_fd.get(), (std::string(".datamon/") + kIncompleteMarker).c_str(), &meta_st,
                AT_SYMLINK_NOFOLLOW) == 0) {
    spdlog::warn("an earlier download into {} did not finish; its files may be a mix of two bundles",
                 dm::quoted(destination.string()));
  }
  write_file_atomic(marker, bundle.id + "\n", 0644, AtomicWrite::Replace);
  const auto temp_dir = meta_dir / "tmp";
  fs::remove_all(temp_dir, ec);  // removes a symlink named tmp, never what it points to
  fs::create_directories(temp_dir, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create folder '" + temp_dir.string() + "': " + ec.message());

  struct stat destination_st {};
  if (::fstat(destination_fd.get(), &destination_st) != 0) throw_errno("cannot stat", destination.string());
  Placer placer(temp_dir);
  FolderCache folders(destination_fd.get(), destination, destination_st.st_dev);
  const bool legacy = bundle.version < 1;
  cafs::Reader reader(blobs, bundle.leaf_size, legacy, options.verify);
  Progress progress("download", total, chosen.size(), !options.show_progress);
  const unsigned width = std::max(1U, options.concurrency);
  ThreadPool leaf_pool(width);
  DownloadResult result;
  std::atomic<uint64_t> written{0}, skipped{0}, bytes{0};
  parallel_for(chosen.size(), width, [&](size_t k) {
    const size_t i = chosen[k];
    const auto& e = entries[i];
    const fs::path dest = destination / names[i];
    if (options.needs_fetch && !options.needs_fetch(e, dest)) {
      ++skipped;
      progress.add_bytes(e.size);
      progress.file_done();
      return;
    }
    write_one(reader, e, folders, destination, names[i], placer, leaf_pool, progress);
    if (options.on_written) options.on_written(e, dest);
    ++written;
    bytes += e.size;
    progress.file_done();
  });
  progress.finish();

  if (options.write_metadata_copies) {
    write_file_atomic(meta_dir / (bundle.id + ".yaml"), model::to_yaml(bundle), 0644, AtomicWrite::Replace, {},
                      Durability::Deferred);
    // Byte copies of the index files as the store holds them (Go's layout), not re-cut.
    for (size_t n = 0; n < options.index_documents.size(); ++n) {
      write_file_atomic(meta_dir / (bundle.id + "-bundle-files-" + std::to_string(n) + ".yaml"),
                        options.index_documents[n], 0644, AtomicWrite::Replace, {}, Durability::Deferred);
    }
  }
  // The one barrier: every file was named on the destination's file system (Placer). Only once
  // they are durable does the marker go, and its removal is made durable too.
  sync_file_system(temp_dir);
  fs::remove(temp_dir, ec);
  if (::unlink(marker.c_str()) != 0) throw_errno("cannot remove", marker.string());
  fsync_path(meta_dir);
  if (!had_meta_dir && !options.write_metadata_copies) fs::remove(meta_dir, ec);
  result.files = written;
  result.skipped = skipped;
  result.bytes = bytes;
  return result;
}

}  // namespace dm::transfer
