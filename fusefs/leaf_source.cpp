#include "fusefs/leaf_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/util/error.h"

namespace dm::fusefs {

namespace {

// Closes the descriptor on every path out of read_local.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

LeafSource::LeafSource(cafs::Reader& reader)
    : reader_(reader), local_(dynamic_cast<const store::LocalStore*>(&reader.blobs())) {}

void LeafSource::too_long(const std::string& name) const {
  throw Error(ErrorKind::Corrupt, "leaf " + store::object_url(reader_.blobs(), name) + " is longer than the leaf size");
}

std::unique_ptr<LeafBuffer> LeafSource::read_local(const std::string& name, LeafPool& pool) {
  // Leaf names are 128 hex digits (Key::hex): always a valid object name at the bucket's root.
  const auto path = local_->root() / name;
  const FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) throw Error(ErrorKind::NotFound, "leaf " + store::object_url(*local_, name) + " is missing");
    throw_errno("cannot open", path.string());
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
