// The full-length I/O loops of common/util/files.h on real files and pipes.
#include "common/util/files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "common/util/aligned_buffer.h"
#include "common/util/error.h"
#include "support/expect_error.h"
#include "support/test_support.h"

namespace dm {
namespace {

UniqueFd open_rw(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  EXPECT_TRUE(fd.valid()) << path;
  return fd;
}

TEST(Files, WriteFullAtThenReadFullAtRoundTripsAtAnOffset) {
  test::TempDir dir;
  const auto path = dir / "f";
  auto fd = open_rw(path);
  const std::string data(3 << 20, 'x');  // larger than one pipe or page: several syscalls may be needed
  write_full_at(fd.get(), data, 100, path.string());
  std::string back(data.size(), '\0');
  EXPECT_EQ(read_full_at(fd.get(), back, 100, path.string()), data.size());
  EXPECT_EQ(back, data);
}

// Pages of the file resident in the page cache, of those in [offset, offset + length).
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

// Whether files in `dir` can be written past a page cache: a file system that takes O_DIRECT
// and is not itself the page cache (tmpfs).
bool bypasses_page_cache(const std::filesystem::path& dir) {
  struct statfs fs {};
  if (::statfs(dir.c_str(), &fs) != 0 || fs.f_type == TMPFS_MAGIC) return false;
  UniqueFd fd(::open((dir / "probe").c_str(), O_WRONLY | O_CREAT | O_DIRECT | O_CLOEXEC, 0600));
  return fd.valid();
}

TEST(Files, WriteBulkAtWritesEveryByteAndLeavesTheBulkOutOfThePageCache) {
  test::TempDir dir;
  const auto path = dir / "f";
  auto fd = open_rw(path);
  const size_t tail = 1000;
  const size_t size = (3 << 20) + tail;  // an aligned bulk of 3 MiB and a tail of 1 000 bytes
  const std::string data = test::random_bytes(size, 7);
  AlignedBuffer buffer;
  auto span = buffer.first(size);
  std::memcpy(span.data(), data.data(), size);
  write_bulk_at(fd.get(), {span.data(), size}, 4096, path.string());

  std::string back(size, '\0');
  EXPECT_EQ(read_full_at(fd.get(), back, 4096, path.string()), size);
  EXPECT_TRUE(back == data);
  const int flags = ::fcntl(fd.get(), F_GETFL);
  EXPECT_EQ(flags & O_DIRECT, 0) << "O_DIRECT left set on the descriptor";
  if (!bypasses_page_cache(dir.path()))
    GTEST_SKIP() << dir.path() << " has no page cache to bypass, or refuses O_DIRECT";
  // Reading the bytes back above brought them into the page cache; a second file shows what the
  // write alone left there.
  const auto path2 = dir / "g";
  auto fd2 = open_rw(path2);
  write_bulk_at(fd2.get(), {span.data(), size}, 0, path2.string());
  EXPECT_EQ(resident_pages(fd2.get(), 0, 3 << 20), 0U) << "the aligned bulk went through the page cache";
  EXPECT_GE(resident_pages(fd2.get(), 3 << 20, 4096), 1U) << "the tail should be a buffered write";
}

TEST(Files, WriteBulkAtFromAnUnalignedBufferGoesThroughThePageCache) {
  test::TempDir dir;
  const auto path = dir / "f";
  auto fd = open_rw(path);
  const size_t size = 2 << 20;
  AlignedBuffer buffer;
  auto span = buffer.first(size + 1);
  const std::string data = test::random_bytes(size, 8);
  std::memcpy(span.data() + 1, data.data(), size);  // one byte off the alignment
  write_bulk_at(fd.get(), {span.data() + 1, size}, 0, path.string());
  EXPECT_EQ(resident_pages(fd.get(), 0, size), size / 4096) << "an unaligned buffer cannot be written direct";
  std::string back(size, '\0');
  EXPECT_EQ(read_full_at(fd.get(), back, 0, path.string()), size);
  EXPECT_TRUE(back == data);
}

TEST(Files, WriteBulkAtOnTmpfsWritesEveryByte) {
  // tmpfs before Linux 6.6 refuses O_DIRECT, later ones take it: either way every byte lands.
  const std::filesystem::path shm = "/dev/shm";
  if (!std::filesystem::is_directory(shm)) GTEST_SKIP() << "no /dev/shm";
  const auto path = shm / ("dm-files-test-" + std::to_string(::getpid()));
  auto fd = open_rw(path);
  const size_t size = (2 << 20) + 17;
  const std::string data = test::random_bytes(size, 9);
  AlignedBuffer buffer;
  auto span = buffer.first(size);
  std::memcpy(span.data(), data.data(), size);
  write_bulk_at(fd.get(), {span.data(), size}, 0, path.string());
  std::string back(size, '\0');
  EXPECT_EQ(read_full_at(fd.get(), back, 0, path.string()), size);
  ::unlink(path.c_str());
  EXPECT_TRUE(back == data);
}

TEST(Files, ReadFullAtIsShortOnlyAtTheEnd) {
  test::TempDir dir;
  const auto path = dir / "f";
  auto fd = open_rw(path);
  write_full(fd.get(), "0123456789", path.string());
  std::string back(8, '\0');
  EXPECT_EQ(read_full_at(fd.get(), back, 4, path.string()), 6u);
  EXPECT_EQ(back.substr(0, 6), "456789");
  EXPECT_EQ(read_full_at(fd.get(), back, 10, path.string()), 0u);
  EXPECT_EQ(read_full_at(fd.get(), back, 1000, path.string()), 0u);
}

TEST(Files, ReadFullCollectsAPipeWrittenInPieces) {
  int ends[2];
  ASSERT_EQ(::pipe2(ends, O_CLOEXEC), 0);
  UniqueFd reader(ends[0]);
  UniqueFd writer(ends[1]);
  std::thread feeder([&writer] {
    for (int i = 0; i < 4; ++i) {
      write_full(writer.get(), "abcd", "pipe");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    writer.reset();
  });
  std::string back(32, '\0');
  const size_t got = read_full(reader.get(), back, "pipe");
  feeder.join();
  EXPECT_EQ(got, 16u);
  EXPECT_EQ(back.substr(0, got), "abcdabcdabcdabcd");
}

TEST(Files, ErrorsNameTheFileAndTheErrno) {
  test::TempDir dir;
  const auto path = dir / "read-only";
  write_file_atomic(path, "data");
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  test::expect_error([&] { write_full_at(fd.get(), "more", 0, path.string()); }, ErrorKind::Io,
                     {path.string(), std::strerror(EBADF)});
  std::string buffer(4, '\0');
  EXPECT_THROW(read_full_at(-1, buffer, 0, "nothing"), Error);
}

TEST(Files, CloseCheckedReleasesTheDescriptor) {
  test::TempDir dir;
  auto fd = open_rw(dir / "f");
  const int raw = fd.get();
  close_checked(fd, "f");
  EXPECT_FALSE(fd.valid());
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);  // closed, not leaked
}

TEST(Files, ReadFileReadsAPipeToItsEnd) {
  int ends[2];
  ASSERT_EQ(::pipe2(ends, O_CLOEXEC), 0);
  const UniqueFd reader(ends[0]);
  UniqueFd writer(ends[1]);
  const std::string data(200000, 'p');  // more than the pipe buffer and the 64 KiB tail
  std::thread feeder([&] {
    write_full(writer.get(), data, "pipe");
    writer.reset();
  });
  const auto text = read_file("/proc/self/fd/" + std::to_string(reader.get()));
  feeder.join();
  EXPECT_EQ(text, data);
}

}  // namespace
}  // namespace dm
