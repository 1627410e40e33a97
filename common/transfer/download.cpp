#include "common/transfer/download.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <regex>

#include "common/cafs/reader.h"
#include "common/model/catalog.h"
#include "common/model/paths.h"
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
      std::string shown = e.name;
      std::replace(shown.begin(), shown.end(), '\0', '?');
      throw Error(ErrorKind::InvalidArgument,
                  "bundle '" + bundle_id + "' has an entry named '" + shown + "' that escapes the destination");
    }
    names.push_back(std::move(*clean));
  }
  return names;
}

namespace {

void write_one(cafs::Reader& reader, const model::BundleEntry& e, const fs::path& dest, const fs::path& temp_dir,
               ThreadPool& pool, Progress& progress) {
  const auto root = cafs::Key::from_hex(e.hash);
  if (!root) throw Error(ErrorKind::Corrupt, "entry '" + e.name + "' has an invalid hash '" + e.hash + "'");
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create folder '" + dest.parent_path().string() + "': " + ec.message());
  const auto tmp = temp_name_in(temp_dir, dest);
  const unsigned mode = (e.mode & 07777) != 0 ? (e.mode & 07777) : 0644;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw_errno("cannot create", tmp.string());
  try {
    reader.read_file_to(*root, e.size, fd, dest.string(), pool, &progress);
    if (::fchmod(fd, mode) != 0) throw_errno("cannot chmod", tmp.string());
    if (::fsync(fd) != 0) throw_errno("cannot fsync", tmp.string());
    if (::close(fd) != 0) throw_errno("cannot close", tmp.string());
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw_errno(err, "cannot rename into place", dest.string());
  }
}

}  // namespace

DownloadResult download_bundle(const model::BundleDescriptor& bundle, const std::vector<model::BundleEntry>& entries,
                               store::Store& blobs, const fs::path& destination, const DownloadOptions& options) {
  const auto names = checked_entry_names(entries, bundle.id);
  std::optional<std::regex> filter;
  if (!options.name_filter.empty()) {
    try {
      filter.emplace(options.name_filter);
    } catch (const std::regex_error& e) {
      throw Error(ErrorKind::InvalidArgument, "--name-filter '" + options.name_filter + "' is not a valid regex");
    }
  }
  std::vector<size_t> chosen;
  uint64_t total = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (filter && !std::regex_search(names[i], *filter)) continue;
    chosen.push_back(i);
    total += entries[i].size;
  }
  std::error_code ec;
  fs::create_directories(destination, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create destination '" + destination.string() + "': " + ec.message());
  // Temporaries of an earlier, killed download are dropped; ours go to a fresh folder.
  const auto meta_dir = destination / ".datamon";
  const bool had_meta_dir = fs::exists(meta_dir, ec);
  const auto temp_dir = meta_dir / "tmp";
  fs::remove_all(temp_dir, ec);
  fs::create_directories(temp_dir, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create folder '" + temp_dir.string() + "': " + ec.message());

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
    write_one(reader, e, dest, temp_dir, leaf_pool, progress);
    if (options.on_written) options.on_written(e, dest);
    ++written;
    bytes += e.size;
    progress.file_done();
  });
  progress.finish();
  fs::remove(temp_dir, ec);
  if (!had_meta_dir && !options.write_metadata_copies) fs::remove(meta_dir, ec);

  if (options.write_metadata_copies) {
    const auto meta = destination / ".datamon";
    fs::create_directories(meta, ec);
    if (ec) throw Error(ErrorKind::Io, "cannot create folder '" + meta.string() + "': " + ec.message());
    write_file_atomic(meta / (bundle.id + ".yaml"), model::to_yaml(bundle), 0644, AtomicWrite::Replace);
    for (uint64_t n = 0; n < bundle.count; ++n) {
      const size_t first = n * model::kEntriesPerIndexFile;
      const size_t last = std::min(entries.size(), first + model::kEntriesPerIndexFile);
      if (first >= last) break;
      write_file_atomic(meta / (bundle.id + "-bundle-files-" + std::to_string(n) + ".yaml"),
                        model::to_yaml(std::vector<model::BundleEntry>(entries.begin() + static_cast<ptrdiff_t>(first),
                                                                       entries.begin() + static_cast<ptrdiff_t>(last))),
                        0644, AtomicWrite::Replace);
    }
  }
  result.files = written;
  result.skipped = skipped;
  result.bytes = bytes;
  return result;
}

}  // namespace dm::transfer
