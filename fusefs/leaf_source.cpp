#include "fusefs/leaf_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/util/error.h"
#include "common/util/unique_fd.h"

namespace dm::fusefs {

LeafSource::LeafSource(cafs::Reader& reader)
    : reader_(reader), local_(dynamic_cast<const store::LocalStore*>(&reader.blobs())) {}

void LeafSource::too_long(const std::string& name) const {
  throw Error(ErrorKind::Corrupt, "leaf " + store::object_url(reader_.blobs(), name) + " is longer than the leaf size");
}

std::unique_ptr<LeafBuffer> LeafSource::read_local(const std::string& name, LeafPool& pool) {
  // Leaf names are 128 hex digits (Key::hex): always a valid object name at the bucket's root.
  // Only a regular file is a leaf: a symlink, FIFO or device planted in the bucket is an error.
  const auto path = local_->root() / name;
  UniqueFd fd;
  try {
    fd = local_->open_object(name);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound)
      throw Error(ErrorKind::NotFound, "leaf " + store::object_url(*local_, name) + " is missing");
    throw;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("cannot stat", path.string());
  if (static_cast<uint64_t>(st.st_size) > pool.buffer_capacity()) too_long(name);
  const auto length = static_cast<size_t>(st.st_size);
  auto buffer = pool.take(length);
  LeafBuffer& into = *buffer;
  size_t done = 0;
  while (done < length) {
    const ssize_t n = ::pread(fd.get(), into.data() + done, length - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("cannot read", path.string());
    if (n == 0) break;  // shorter than fstat said: verification judges what we got
    done += static_cast<size_t>(n);
  }
  into.set_size(done);
  return buffer;
}

bool LeafSource::verifies(std::string_view data, std::span<const cafs::Key> keys, size_t index) const {
  if (!reader_.verify()) return true;
  try {
    reader_.verify_leaf(data, keys[index], index, keys.size());
    return true;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Corrupt) return false;
    throw;
  }
}

std::unique_ptr<LeafBuffer> LeafSource::fetch(std::span<const cafs::Key> keys, size_t index, LeafPool& pool) {
  if (local_ == nullptr) {
    const auto data = reader_.fetch_leaf(keys, index);
    if (data.size() > pool.buffer_capacity()) too_long(keys[index].hex());
    auto into = pool.take(data.size());
    std::memcpy(into->data(), data.data(), data.size());
    into->set_size(data.size());
    return into;
  }
  auto into = read_local(keys[index].hex(), pool);
  if (reader_.verify()) reader_.verify_leaf(into->view(), keys[index], index, keys.size());
  return into;
}

}  // namespace dm::fusefs
