#include "fusefs/disk_cache.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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

constexpr char kMagic[4] = {'D', 'M', 'L', '1'};
constexpr size_t kHeader = 8;  // magic, then the CRC32C of the data, little-endian

std::string encode(std::string_view data) {
  std::string out(kHeader, '\0');
  std::memcpy(out.data(), kMagic, 4);
  const uint32_t crc = crc32c(data);
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  out.append(data);
  return out;
}

std::optional<std::string> decode(std::string file) {
  if (file.size() < kHeader || std::memcmp(file.data(), kMagic, 4) != 0) return std::nullopt;
  uint32_t crc = 0;
  for (int i = 0; i < 4; ++i) crc |= static_cast<uint32_t>(static_cast<uint8_t>(file[4 + i])) << (8 * i);
  if (crc32c(std::string_view(file).substr(kHeader)) != crc) return std::nullopt;
  file.erase(0, kHeader);
  return file;
}

// Written to a temporary name and renamed into place, but not fsynced: a cache needs no
// durability, and a file a crash left torn fails its CRC on the next read and is dropped.
void write_unsynced(const fs::path& path, const std::string& bytes, const fs::path& tmp_dir) {
  const auto tmp = temp_name_in(tmp_dir, path);
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) throw_errno("cannot create", tmp.string());
  try {
    write_full(fd.get(), bytes, tmp.string());
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
    : dir_(std::move(dir)), tmp_(dir_ / "tmp"), budget_(budget_bytes) {
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
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.time > b.time; });
  for (const auto& f : found) {
    lru_.push_back(f.key);
    slots_.emplace(f.key, Slot{f.size, std::prev(lru_.end())});
    bytes_ += f.size;
  }
  spdlog::debug("disk cache dir={} leaves={} bytes={}", dir_.string(), slots_.size(), bytes_);
}

fs::path DiskCache::file_of(const cafs::Key& key) const {
  const auto hex = key.hex();
  return dir_ / "leaves" / hex.substr(0, 2) / hex;
}

void DiskCache::forget_locked(const cafs::Key& key) {
  auto it = slots_.find(key);
  if (it == slots_.end()) return;
  bytes_ -= it->second.size;
  lru_.erase(it->second.position);
  slots_.erase(it);
}

std::optional<std::string> DiskCache::get(const cafs::Key& key) {
  {
    std::lock_guard lock(mutex_);
    auto it = slots_.find(key);
    if (it == slots_.end()) return std::nullopt;
    lru_.splice(lru_.begin(), lru_, it->second.position);
  }
  const auto path = file_of(key);
  std::optional<std::string> data;
  try {
    data = decode(read_file(path));
  } catch (const Error&) {
    // Gone under us (removed by hand or by another process sharing the folder).
  }
  if (!data) {
    spdlog::warn("disk cache file {} is damaged or unreadable; dropped", dm::quoted(path.string()));
    std::error_code ec;
    fs::remove(path, ec);
    std::lock_guard lock(mutex_);
    forget_locked(key);
    ++damaged_;
    return std::nullopt;
  }
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);  // recency for the next start; best effort
  return data;
}

void DiskCache::discard(const cafs::Key& key) {
  std::error_code ec;
  fs::remove(file_of(key), ec);
  std::lock_guard lock(mutex_);
  forget_locked(key);
  ++damaged_;
}

size_t DiskCache::put(const cafs::Key& key, std::string_view data) {
  const uint64_t size = data.size() + kHeader;
  if (size > budget_) return 0;
  {
    std::lock_guard lock(mutex_);
    if (slots_.count(key)) return 0;
  }
  const auto path = file_of(key);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create disk cache folder '" + path.parent_path().string() + "'");
  write_unsynced(path, encode(data), tmp_);
  std::vector<cafs::Key> victims;
  {
    std::lock_guard lock(mutex_);
    if (slots_.count(key)) return 0;
    lru_.push_front(key);
    slots_.emplace(key, Slot{size, lru_.begin()});
    bytes_ += size;
    while (bytes_ > budget_ && lru_.size() > 1) {
      victims.push_back(lru_.back());
      forget_locked(lru_.back());
    }
  }
  for (const auto& v : victims) fs::remove(file_of(v), ec);
  return victims.size();
}

bool DiskCache::contains(const cafs::Key& key) const {
  std::lock_guard lock(mutex_);
  return slots_.count(key) != 0;
}

uint64_t DiskCache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

uint64_t DiskCache::damaged() const {
  std::lock_guard lock(mutex_);
  return damaged_;
}

}  // namespace dm::fusefs
