#include "fusefs/leaf_buffer.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/util/error.h"

namespace dm::fusefs {

namespace {
constexpr size_t kHugePage = 2u << 20;
constexpr size_t kPage = 4096;
}  // namespace

LeafBuffer::LeafBuffer(size_t capacity) : capacity_(capacity) {
  // Only whole-leaf buffers get huge pages: a small leaf in a huge page would cost 2 MiB.
  const size_t unit = capacity >= kHugePage ? kHugePage : kPage;
  mapped_ = (std::max<size_t>(capacity, 1) + unit - 1) / unit * unit;
  void* p = ::mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    throw Error(ErrorKind::Internal,
                "cannot map " + std::to_string(mapped_) + " bytes for a leaf: " + std::strerror(errno));
  }
  // Best effort: without huge pages the buffer still works, one small page at a time.
  if (unit == kHugePage) (void)::madvise(p, mapped_, MADV_HUGEPAGE);
  data_ = static_cast<char*>(p);
}

LeafBuffer::~LeafBuffer() {
  ::munmap(data_, mapped_);
}

void LeafBuffer::set_size(size_t size) {
  if (size > capacity_) {
    throw Error(ErrorKind::Internal,
                "leaf of " + std::to_string(size) + " bytes in a buffer of " + std::to_string(capacity_));
  }
  size_ = size;
}

}  // namespace dm::fusefs
