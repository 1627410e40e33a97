#include "common/cafs/writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "common/cafs/hasher.h"
#include "common/cafs/root_blob.h"
#include "common/util/crc32c.h"
#include "common/util/error.h"
#include "common/util/files.h"

namespace dm::cafs {

namespace {

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The largest blob created before it is checked: one a local folder writes through the page cache
// (smaller than kDirectWriteMin), so that a wrong guess costs a copy in memory, not a device write.
constexpr size_t kWriteFirstBelow = kDirectWriteMin;

}  // namespace

Writer::Writer(store::Store& blobs, uint32_t leaf_size, ThreadPool& leaf_pool, const KeySet* known)
    : blobs_(blobs),
      leaf_size_(leaf_size),
      pool_(leaf_pool),
      known_(known),
      write_first_(blobs.write_first_is_cheaper()),
      // Leaves read but not yet stored, over every file being put: twice the pool's width keeps
      // each worker fed while the next leaves are read.
      leaf_buffers_(leaf_size, 2 * static_cast<size_t>(leaf_pool.size())) {
  if (leaf_size < kMinLeafSize || leaf_size > kMaxLeafSize) {
    throw Error(ErrorKind::InvalidArgument, "leaf size " + std::to_string(leaf_size) + " is out of range");
  }
}

bool Writer::store_blob(const std::string& name, std::string_view data) {
  if (write_first_ && data.size() < kWriteFirstBelow && !presence_.likely_present()) {
    try {
      blobs_.put(name, data, store::PutMode::NoOverwrite);
      presence_.saw(false);
      ++stats_.created_first;
      return true;
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::AlreadyExists) throw;
      // There already: judged below as any object a check finds (its size, its age).
      ++stats_.found_by_create;
    }
  }
  ++stats_.existence_checks;
  const auto info = blobs_.stat(name);
  presence_.saw(info.has_value());
  if (info && info->size == data.size()) {
    // An existing object of the content's size with a matching CRC (where reported) is a valid
    // duplicate. One of another size is not (a local blob cut short by a power loss before
    // its writer's flush): it is written again.
    if (!info->crc32c || *info->crc32c == crc32c(data)) {
      if (info->modified && *info->modified < now_seconds() - kRefreshAfterSeconds) {
        // Old enough for `purge` to consider: re-written so that its age says it is in use.
        blobs_.put(name, data, store::PutMode::Overwrite);
        ++stats_.blobs_refreshed;
      }
      return false;
    }
  }
  blobs_.put(name, data, store::PutMode::Overwrite);
  return true;
}

PutResult Writer::put_bytes(std::string_view data) {
  PutResult result;
  result.size = data.size();
  std::vector<Key> keys;
  const uint64_t full = data.size() / leaf_size_;
  const uint64_t count = full + (data.size() % leaf_size_ != 0 ? 1 : 0);
  for (uint64_t i = 0; i < count; ++i) {
    const auto leaf = data.substr(i * leaf_size_, leaf_size_);
    const Key key = leaf_key_at(as_bytes(leaf), leaf_size_, i, count);
    keys.push_back(key);
    ++stats_.leaves;
    if (known_ && known_->count(key)) continue;
    if (store_blob(key.hex(), leaf)) {
      ++result.leaves_stored;
      result.bytes_stored += leaf.size();
      ++stats_.leaves_stored;
      stats_.bytes_stored += leaf.size();
    }
  }
  result.leaves = count;
  result.root = root_key(keys, leaf_size_);
  result.root_stored = store_blob(result.root.hex(), encode_root_blob(keys, result.root));
  return result;
}

PutResult Writer::put_file(const std::filesystem::path& path, Progress* progress) {
  const UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.valid()) throw_errno("cannot open", path.string());
  const std::string what = path.string();
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) throw_errno("cannot stat", what);
  const auto size = static_cast<uint64_t>(st.st_size);
  // One byte past the size fstat gave: a file that grew while it was read has one.
  const auto grew = [&] {
    char probe;
    return read_full_at(file.get(), std::span(&probe, 1), size, what) != 0;
  };
  if (size <= leaf_size_) {
    // A file of one leaf is read whole; one large enough to be stored past the page cache into an
    // aligned buffer of the pool (write_bulk_at).
    std::shared_ptr<char[]> pooled;
    std::string small;
    std::span<char> data;
    if (size >= kDirectWriteMin) {
      pooled = leaf_buffers_.take();
      data = {pooled.get(), static_cast<size_t>(size)};
    } else {
      small.resize(size);
      data = small;
    }
    if (read_full_at(file.get(), data, 0, what) != size || grew()) {
      throw Error(ErrorKind::Io, "file '" + path.string() + "' changed size while it was read");
    }
    auto r = put_bytes({data.data(), data.size()});
    if (progress) progress->add_bytes(size);
    return r;
  }

  const uint64_t count = (size + leaf_size_ - 1) / leaf_size_;
  std::vector<Key> keys(count);
  std::mutex result_mutex;
  PutResult result;
  result.size = size;
  result.leaves = count;
  TaskGroup group(pool_);
  for (uint64_t i = 0; i < count && !group.failed(); ++i) {
    const auto leaf_bytes = static_cast<size_t>(std::min<uint64_t>(leaf_size_, size - i * leaf_size_));
    // Waits while the writer's leaves in flight, over all files, are at their bound.
    std::shared_ptr<char[]> buffer = leaf_buffers_.take();
    if (read_full_at(file.get(), std::span(buffer.get(), leaf_bytes), i * leaf_size_, what) != leaf_bytes) {
      buffer.reset();
      group.wait();
      throw Error(ErrorKind::Io, "file '" + path.string() + "' changed size while it was read");
    }
    group.run([this, i, count, buffer, leaf_bytes, &keys, &result, &result_mutex, progress] {
      const std::string_view leaf(buffer.get(), leaf_bytes);
      const Key key = leaf_key_at(as_bytes(leaf), leaf_size_, i, count);
      keys[i] = key;
      ++stats_.leaves;
      bool stored = false;
      if (!(known_ && known_->count(key))) stored = store_blob(key.hex(), leaf);
      if (stored) {
        ++stats_.leaves_stored;
        stats_.bytes_stored += leaf.size();
        std::lock_guard lock(result_mutex);
        ++result.leaves_stored;
        result.bytes_stored += leaf.size();
      }
      if (progress) progress->add_bytes(leaf.size());
    });
  }
  group.wait();
  if (grew()) {
    throw Error(ErrorKind::Io, "file '" + path.string() + "' changed size while it was read");
  }
  result.root = root_key(keys, leaf_size_);
  result.root_stored = store_blob(result.root.hex(), encode_root_blob(keys, result.root));
  return result;
}

}  // namespace dm::cafs
