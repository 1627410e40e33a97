#include "support/page_cache.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <vector>

#include "common/util/unique_fd.h"

namespace dm::test {

size_t resident_pages(int fd, uint64_t offset, size_t length) {
  void* map = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(offset));
  EXPECT_NE(map, MAP_FAILED);
  if (map == MAP_FAILED) return 0;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> in((length + page - 1) / page);
  EXPECT_EQ(::mincore(map, length, in.data()), 0);
  ::munmap(map, length);
  size_t resident = 0;
  for (unsigned char c : in) resident += c & 1;
  return resident;
}

bool bypasses_page_cache(const std::filesystem::path& dir) {
  struct statfs fs {};
  if (::statfs(dir.c_str(), &fs) != 0 || fs.f_type == TMPFS_MAGIC) return false;
  const auto probe = dir / ".direct-probe";
  const UniqueFd fd(::open(probe.c_str(), O_WRONLY | O_CREAT | O_DIRECT | O_CLOEXEC, 0600));
  ::unlink(probe.c_str());
  return fd.valid();
}

DirectTempDir::DirectTempDir() {
  dir_.emplace();
  if (!bypasses_page_cache(dir_->path())) dir_.emplace(std::filesystem::current_path());
}

}  // namespace dm::test
