// Probes of the kernel's page cache, for tests of writes meant to bypass it (O_DIRECT).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>

#include "support/test_support.h"

namespace dm::test {

// Pages of the open file resident in the page cache, of those in [offset, offset + length).
size_t resident_pages(int fd, uint64_t offset, size_t length);

// Whether files in `dir` can be written past a page cache: a file system that takes O_DIRECT
// and is not itself the page cache (tmpfs).
bool bypasses_page_cache(const std::filesystem::path& dir);

// A scratch folder where writes can bypass a page cache: a TempDir under $TMPDIR, or, when that
// is tmpfs, under the working folder (the build tree, on disk). Removed when the object dies.
class DirectTempDir {
 public:
  DirectTempDir();
  const std::filesystem::path& path() const { return dir_->path(); }
  std::filesystem::path operator/(const std::string& rel) const { return path() / rel; }

 private:
  std::optional<TempDir> dir_;
};

}  // namespace dm::test
