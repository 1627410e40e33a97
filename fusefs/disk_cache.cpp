#include "fusefs/disk_cache.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "common/util/crc32c.h"
#include "common/util/error.h"
#include "common/util/files.h"
#include "common/util/unique_fd.h"

namespace dm::fusefs {

namespace fs = std::filesystem;

namespace {

// The trailer after a file's data: magic, then the CRC32C of the data, little-endian. After, not
// before: the data then starts at offset 0, where a leaf buffer (page-aligned) is written past the
// page cache. Files of the older layout (DML1, header first) fail the check and are fetched again.
constexpr char kMagic[4] = {'D', 'M', 'L', '2'};
constexpr size_t kTrailer = 8;

std::array<char, kTrailer> trailer_of(std::string_view data) {
  std::array<char, kTrailer> out{};
  std::memcpy(out.data(), kMagic, 4);
  const uint32_t crc = crc32c(data);
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  return out;
}

// Whether `trailer` (kTrailer bytes) is ours and its CRC is the one of `data`.
bool intact(const char* trailer, std::string_view data) {
  if (std::memcmp(trailer, kMagic, 4) != 0) return false;
  uint32_t crc = 0;
  for (int i = 0; i < 4; ++i) crc |= static_cast<uint32_t>(static_cast<uint8_t>(trailer[4 + i])) << (8 * i);
  return crc32c(data) == crc;
}

// The data of the cache file at `path` in the buffer `buffer_for` gives, read with one preadv
// (header and data at once); nullopt when it is missing, not a regular file (a symlink is not
// followed), shorter than its header, longer than `max_size` of data, or fails its CRC.
std::optional<size_t> read_checked(const fs::path& path, uint64_t max_size,
                                   const std::function<std::span<char>(size_t length)>& buffer_for) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  const auto file_size = static_cast<uint64_t>(st.st_size);
  if (file_size < kTrailer || file_size - kTrailer > max_size) return std::nullopt;
  const auto length = static_cast<size_t>(file_size - kTrailer);
  const auto data = buffer_for(length);
  char trailer[kTrailer];
  iovec parts[2] = {{data.data(), length}, {trailer, kTrailer}};
  ssize_t n = -1;
  do {
    n = ::preadv(fd.get(), parts, 2, 0);
  } while (n < 0 && errno == EINTR);
  // A regular file reads whole; less means it shrank under us, which is damage like any other.
  if (n != static_cast<ssize_t>(file_size) || !intact(trailer, {data.data(), length})) return std::nullopt;
  ::futimens(fd.get(), nullptr);  // recency for the next start; best effort
  return length;
}

// Written to a temporary name and renamed into place, but not fsynced: a cache needs no
// durability, and a file a crash left torn fails its CRC on the next read and is dropped. The data
// goes past the page cache where it can (write_bulk_at): a leaf already went to its reader and
// the kernel's page cache, and copying it into a third place cost more CPU than fetching it.
void write_unsynced(const fs::path& path, std::string_view data, const fs::path& tmp_dir) {
  const auto tmp = temp_name_in(tmp_dir, path);
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) throw_errno("cannot create", tmp.string());
  try {
    write_bulk_at(fd.get(), data, 0, tmp.string());
    const auto trailer = trailer_of(data);
    write_full_at(fd.get(), {trailer.data(), trailer.size()}, data.size(), tmp.string());
  } catch (const Error&) {
    ::unlink(tmp.c_str());
    throw;
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw_errno(err, "cannot rename into place", path.string());
  }
}

}  // namespace

DiskCache::DiskCache(fs::path dir, uint64_t budget_bytes)
    : dir_(std::move(dir)),
      tmp_(dir_ / "tmp"),
      budget_(budget_bytes),
      index_(budget_bytes, [this](const cafs::Key& key, File&, uint64_t) { evicted_.push_back(key); }) {
  std::error_code ec;
  fs::create_directories(dir_ / "leaves", ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create disk cache folder '" + dir_.string() + "': " + ec.message());
  fs::remove_all(tmp_, ec);  // leftovers of a crash mid-write
  fs::create_directories(tmp_, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create disk cache folder '" + tmp_.string() + "': " + ec.message());

  struct Found {
    cafs::Key key;
    uint64_t size;
    fs::file_time_type time;
  };
  std::vector<Found> found;
  for (auto it = fs::recursive_directory_iterator(dir_ / "leaves", ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const auto key = cafs::Key::from_hex(it->path().filename().string());
    if (!key) continue;
    found.push_back({*key, it->file_size(ec), it->last_write_time(ec)});
  }
  // Oldest first, so that the newest ends up the most recent; a folder over the budget (a
  // smaller one than last time) loses its oldest files now.
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.time < b.time; });
  {
    std::lock_guard lock(mutex_);
    for (const auto& f : found) index_.insert(f.key, File{}, f.size);
  }
  const size_t evicted = remove_evicted();
  spdlog::debug("disk cache dir={} leaves={} bytes={} evicted={}", dir_.string(), index_.size(), index_.charge(),
                evicted);
}

fs::path DiskCache::file_of(const cafs::Key& key) const {
  const auto hex = key.hex();
  return dir_ / "leaves" / hex.substr(0, 2) / hex;
}

size_t DiskCache::remove_evicted() {
  std::vector<cafs::Key> doomed;
  {
    std::lock_guard lock(mutex_);
    doomed.swap(evicted_);
  }
  std::error_code ec;
  for (const auto& key : doomed) fs::remove(file_of(key), ec);
  return doomed.size();
}

std::optional<size_t> DiskCache::read_into(const cafs::Key& key, uint64_t max_size,
                                           const std::function<std::span<char>(size_t length)>& buffer_for) {
  {
    std::lock_guard lock(mutex_);
    if (index_.find(key) == nullptr) return std::nullopt;
    index_.pin(key);  // a put() making room meanwhile must not delete the file under us
  }
  const auto path = file_of(key);
  const auto length = read_checked(path, max_size, buffer_for);
  if (!length) {
    // Damaged, or gone under us (removed by hand or by another process sharing the folder).
    spdlog::warn("disk cache file {} is damaged or unreadable; dropped", dm::quoted(path.string()));
    std::error_code ec;
    fs::remove(path, ec);
  }
  std::lock_guard lock(mutex_);
  index_.unpin(key);
  if (!length) {
    index_.erase(key);
    ++damaged_;
  }
  return length;
}

std::optional<std::string> DiskCache::get(const cafs::Key& key, uint64_t max_size) {
  std::string data;
  const auto length = read_into(key, max_size, [&](size_t size) {
    data.resize(size);
    return std::span<char>(data.data(), size);
  });
  if (!length) return std::nullopt;
  return data;
}

void DiskCache::discard(const cafs::Key& key) {
  std::error_code ec;
  fs::remove(file_of(key), ec);
  std::lock_guard lock(mutex_);
  index_.erase(key);
  ++damaged_;
}

size_t DiskCache::put(const cafs::Key& key, std::string_view data) {
  const uint64_t size = data.size() + kTrailer;
  if (size > budget_) return 0;
  {
    std::lock_guard lock(mutex_);
    if (index_.contains(key)) return 0;
  }
  const auto path = file_of(key);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create disk cache folder '" + path.parent_path().string() + "'");
  write_unsynced(path, data, tmp_);
  bool kept = true;
  {
    std::lock_guard lock(mutex_);
    if (index_.contains(key)) return 0;  // another writer of the same leaf was first
    kept = index_.insert(key, File{}, size) != nullptr;
  }
  // Not kept: every other file is being read right now; this one goes rather than the budget.
  if (!kept) fs::remove(path, ec);
  return remove_evicted();
}

bool DiskCache::contains(const cafs::Key& key) const {
  std::lock_guard lock(mutex_);
  return index_.contains(key);
}

uint64_t DiskCache::bytes() const {
  std::lock_guard lock(mutex_);
  return index_.charge();
}

uint64_t DiskCache::damaged() const {
  std::lock_guard lock(mutex_);
  return damaged_;
}

}  // namespace dm::fusefs
