#include "common/cafs/reader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>

#include "common/cafs/blake2b_impl.h"
#include "common/cafs/hasher.h"
#include "common/cafs/root_blob.h"
#include "common/util/aligned_buffer.h"
#include "common/util/error.h"
#include "common/util/files.h"

namespace dm::cafs {

Reader::Reader(store::Store& blobs, uint32_t leaf_size, bool legacy, bool verify)
    : blobs_(blobs),
      leaf_size_(leaf_size),
      stride_(legacy ? leaf_size - kLegacyLeafTruncation : leaf_size),
      verify_(verify) {
  if (leaf_size < kMinLeafSize || leaf_size > kMaxLeafSize || (legacy && leaf_size <= kLegacyLeafTruncation)) {
    throw Error(ErrorKind::Corrupt, "bundle leaf size " + std::to_string(leaf_size) + " is out of range");
  }
  blake2b_impl();  // chosen now (it is measured) rather than on the first leaf a reader waits for
}

std::string Reader::root_blob(const Key& root) {
  const auto name = root.hex();
  try {
    return blobs_.get(name);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound) {
      throw Error(ErrorKind::NotFound, "root blob " + store::object_url(blobs_, name) + " is missing");
    }
    throw;
  }
}

std::vector<Key> Reader::leaf_keys(const Key& root) {
  const auto blob = root_blob(root);
  return decode_root_blob(blob, root, leaf_size_, store::object_url(blobs_, root.hex()));
}

void Reader::verify_leaf(std::string_view data, const Key& key, size_t index, size_t count) const {
  if (data.size() > leaf_size_) {
    throw Error(ErrorKind::Corrupt, "leaf " + store::object_url(blobs_, key.hex()) + " is longer than the leaf size");
  }
  const Key actual =
      leaf_key_at({reinterpret_cast<const uint8_t*>(data.data()), data.size()}, leaf_size_, index, count);
  if (actual != key) {
    throw Error(ErrorKind::Corrupt, "leaf " + store::object_url(blobs_, key.hex()) + " fails hash verification");
  }
}

std::string Reader::fetch_leaf(std::span<const Key> keys, size_t index) {
  std::string data;
  fetch_leaf_into(keys, index, data);
  return data;
}

void Reader::fetch_leaf_into(std::span<const Key> keys, size_t index, std::string& out) {
  out.resize(fetch_leaf_streamed(keys, index, [&](size_t size) {
    out.resize(size);
    return std::span<char>(out.data(), size);
  }));
}

size_t Reader::fetch_leaf_streamed(std::span<const Key> keys, size_t index, const store::Store::BufferFor& buffer_for) {
  const auto name = keys[index].hex();
  std::span<char> buffer;
  std::optional<LeafHasher> hasher;
  const auto into = [&](size_t size) {
    buffer = buffer_for(size);
    if (verify_) hasher.emplace(leaf_size_, index, keys.size(), size);
    return buffer;
  };
  const auto hash = [&](std::string_view bytes) {
    if (hasher) hasher->update({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  };
  size_t length = 0;
  try {
    length = blobs_.read_into(name, leaf_size_, into, verify_ ? store::Store::OnArrived(hash) : nullptr);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound) {
      throw Error(ErrorKind::NotFound, "leaf " + store::object_url(blobs_, name) + " is missing");
    }
    throw;
  }
  if (!verify_) return length;
  const auto streamed = hasher ? hasher->finish() : std::nullopt;
  if (!streamed) {  // fewer bytes than announced (a local file that shrank): hash what is here
    verify_leaf({buffer.data(), length}, keys[index], index, keys.size());
  } else if (*streamed != keys[index]) {
    throw Error(ErrorKind::Corrupt, "leaf " + store::object_url(blobs_, name) + " fails hash verification");
  }
  return length;
}

void Reader::read_file_to(const Key& root, uint64_t expected_size, int fd, const std::string& path, ThreadPool& pool,
                          Progress* progress) {
  const auto keys = leaf_keys(root);
  std::atomic<uint64_t> last_length{0};
  // The leaves of a file of several are fetched, verified and written in parallel, their bulk
  // through a second descriptor with O_DIRECT into space allocated up front (bounded by the verified
  // leaf count, not by the index's size alone), so that the writes of one file overlap on the
  // device. Where that cannot be, they are written one at a time: the file system serialises
  // writes that extend a file on its inode lock anyway, and waiting there spins, where waiting
  // here sleeps and leaves the core to the hashing.
  UniqueFd direct;
  if (keys.size() > 1 && stride_ >= kDirectWriteMin) {
    direct = reopen_for_direct_writes(fd);
    if (direct.valid()) preallocate(fd, std::min<uint64_t>(expected_size, keys.size() * stride_), path);
  }
  std::mutex write_turn;
  const auto one_leaf = [&](size_t i) {
    // One buffer per thread, kept between leaves and files (see fetch_leaf_into), aligned so
    // that the leaf is written past the page cache (write_bulk_at).
    thread_local AlignedBuffer buffer;
    std::span<char> into;
    const size_t length = fetch_leaf_streamed(keys, i, [&](size_t size) { return into = buffer.first(size); });
    const std::string_view data(into.data(), length);
    if (i + 1 < keys.size() && data.size() != stride_) {
      throw Error(ErrorKind::Corrupt, "leaf " + store::object_url(blobs_, keys[i].hex()) + " has " +
                                          std::to_string(data.size()) + " bytes where " + std::to_string(stride_) +
                                          " were expected");
    }
    if (i + 1 == keys.size()) last_length = data.size();
    if (direct.valid()) {
      write_bulk_at(direct.get(), fd, data, i * stride_, path);
    } else {
      std::lock_guard turn(write_turn);
      write_bulk_at(fd, data, i * stride_, path);
    }
    if (progress) progress->add_bytes(data.size());
  };
  if (keys.size() == 1) {
    // On this thread: a small file's one leaf must not queue on `pool` behind the hundreds of a
    // large file written at the same time (a download writes many files at once).
    one_leaf(0);
  } else {
    TaskGroup group(pool);
    for (size_t i = 0; i < keys.size(); ++i) group.run([&, i] { one_leaf(i); });
    group.wait();
  }
  const uint64_t length = keys.empty() ? 0 : (keys.size() - 1) * stride_ + last_length.load();
  if (length != expected_size) {
    throw Error(ErrorKind::Corrupt, "content of " + dm::quoted(path) + " (root " + root.hex() + ") is " +
                                        std::to_string(length) + " bytes but the index says " +
                                        std::to_string(expected_size));
  }
  // Only when the size differs (a file that held more before): a truncate to the same size still
  // costs ext4 a pass over the file's blocks, for every file of a download.
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno("cannot stat", path);
  if (static_cast<uint64_t>(st.st_size) != length && ::ftruncate(fd, static_cast<off_t>(length)) != 0) {
    throw_errno("cannot truncate", path);
  }
}

}  // namespace dm::cafs
