// The full-length I/O loops of common/util/files.h on real files and pipes.
#include "common/util/files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "common/util/aligned_buffer.h"
#include "common/util/error.h"
#include "support/expect_error.h"
#include "support/page_cache.h"
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

// `data` copied into `buffer`, `misalign` bytes past its aligned start.
std::string_view aligned_copy(AlignedBuffer& buffer, std::string_view data, size_t misalign = 0) {
  auto span = buffer.first(misalign + data.size());
  std::memcpy(span.data() + misalign, data.data(), data.size());
  return {span.data() + misalign, data.size()};
}

// write_bulk_at of `data` at `offset`, from an aligned buffer moved `misalign` bytes on.
void write_bulk_from(int fd, const std::string& data, size_t misalign, uint64_t offset, const std::string& what) {
  AlignedBuffer buffer;
  write_bulk_at(fd, aligned_copy(buffer, data, misalign), offset, what);
}

std::string read_back(int fd, size_t size, uint64_t offset, const std::string& what) {
  std::string back(size, '\0');
  back.resize(read_full_at(fd, back, offset, what));
  return back;
}

TEST(Files, WriteBulkAtWritesEveryByteAndLeavesTheBulkOutOfThePageCache) {
  // The test needs a page cache to stay out of.
  test::DirectTempDir dir;
  ASSERT_TRUE(test::bypasses_page_cache(dir.path()))
      << dir.path() << " refuses O_DIRECT: nothing here can bypass the page cache";
  const auto path = dir / "f";
  auto fd = open_rw(path);
  const size_t bulk = 3 << 20;
  const std::string data = test::random_bytes(bulk + 1000, 7);  // an aligned bulk and a tail of 1 000 bytes
  write_bulk_from(fd.get(), data, 0, 4096, path.string());

  EXPECT_EQ(::fcntl(fd.get(), F_GETFL) & O_DIRECT, 0) << "O_DIRECT left set on the descriptor";
  // Looked at before anything reads the bytes back (which brings them in).
  EXPECT_EQ(test::resident_pages(fd.get(), 4096, bulk), 0U) << "the aligned bulk went through the page cache";
  EXPECT_EQ(test::resident_pages(fd.get(), 4096 + bulk, 4096), 1U) << "the tail should be a buffered write";
  EXPECT_TRUE(read_back(fd.get(), data.size(), 4096, path.string()) == data);
}

TEST(Files, WriteBulkAtFromAnUnalignedBufferGoesThroughThePageCache) {
  test::TempDir dir;
  const auto path = dir / "f";
  auto fd = open_rw(path);
  const std::string data = test::random_bytes(2 << 20, 8);
  write_bulk_from(fd.get(), data, 1, 0, path.string());  // one byte off the alignment
  EXPECT_EQ(test::resident_pages(fd.get(), 0, data.size()), data.size() / 4096)
      << "an unaligned buffer cannot be written direct";
  EXPECT_TRUE(read_back(fd.get(), data.size(), 0, path.string()) == data);
}

TEST(Files, WriteBulkAtOnTmpfsWritesEveryByte) {
  // tmpfs before Linux 6.6 refuses O_DIRECT, later ones take it: either way every byte lands.
  const auto path = std::filesystem::path("/dev/shm") / ("dm-files-test-" + std::to_string(::getpid()));
  auto fd = open_rw(path);
  const std::string data = test::random_bytes((2 << 20) + 17, 9);
  write_bulk_from(fd.get(), data, 0, 0, path.string());
  const auto back = read_back(fd.get(), data.size(), 0, path.string());
  ::unlink(path.c_str());
  EXPECT_TRUE(back == data);
}

TEST(Files, ThreadsWriteOneFileThroughADirectDescriptorAtOnce) {
  test::DirectTempDir dir;
  ASSERT_TRUE(test::bypasses_page_cache(dir.path()))
      << dir.path() << " refuses O_DIRECT: nothing here can bypass the page cache";
  const auto path = dir / "f";
  auto fd = open_rw(path);
  constexpr size_t kPart = 1 << 20;
  constexpr size_t kParts = 8;
  const std::string data = test::random_bytes(kParts * kPart + 100, 10);  // the last part has a tail
  preallocate(fd.get(), data.size(), path.string());
  struct stat st {};
  ASSERT_EQ(::fstat(fd.get(), &st), 0);
  EXPECT_EQ(static_cast<size_t>(st.st_size), data.size());
  EXPECT_GE(static_cast<size_t>(st.st_blocks) * 512, data.size()) << "fallocate left the space unallocated";

  const auto direct = reopen_for_direct_writes(fd.get());
  ASSERT_TRUE(direct.valid());
  EXPECT_NE(::fcntl(direct.get(), F_GETFL) & O_DIRECT, 0);
  std::vector<std::thread> writers;
  for (size_t part = 0; part < kParts; ++part) {
    writers.emplace_back([&, part] {
      AlignedBuffer buffer;
      const auto bytes = std::string_view(data).substr(part * kPart, part + 1 < kParts ? kPart : kPart + 100);
      write_bulk_at(direct.get(), fd.get(), aligned_copy(buffer, bytes), part * kPart, path.string());
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(::fcntl(fd.get(), F_GETFL) & O_DIRECT, 0) << "the shared descriptor must stay buffered";
  const size_t bulk = data.size() & ~(kDirectWriteAlign - 1);
  EXPECT_EQ(test::resident_pages(fd.get(), 0, bulk), 0U) << "the aligned bulk went through the page cache";
  EXPECT_EQ(test::resident_pages(fd.get(), bulk, kDirectWriteAlign), 1U) << "the tail should be a buffered write";
  EXPECT_TRUE(read_back(fd.get(), data.size(), 0, path.string()) == data);
}

TEST(Files, PreallocateOfNothingLeavesAnEmptyFile) {
  test::TempDir dir;
  const auto path = dir / "f";
  auto fd = open_rw(path);
  preallocate(fd.get(), 0, path.string());
  struct stat st {};
  ASSERT_EQ(::fstat(fd.get(), &st), 0);
  EXPECT_EQ(st.st_size, 0);
}

TEST(Files, PreallocateBeyondTheFileSystemNamesTheFile) {
  test::TempDir dir;
  const auto path = dir / "f";
  auto fd = open_rw(path);
  test::expect_error([&] { preallocate(fd.get(), uint64_t{1} << 60, path.string()); }, ErrorKind::Io,
                     {"cannot allocate", path.string()});
}

// A file is created with its final mode and chmod-ed only when the umask took bits away.
TEST(Files, AnAtomicWriteGivesItsModeWhateverTheUmask) {
  test::TempDir dir;
  const auto mode_of = [&](const char* name) {
    struct stat st {};
    EXPECT_EQ(::stat((dir / name).c_str(), &st), 0) << name;
    return st.st_mode & 07777;
  };
  const mode_t before = ::umask(077);
  write_file_atomic(dir / "a", "a", 0644);
  write_file_atomic(dir / "b", "b", 0640, AtomicWrite::Replace, {}, Durability::Deferred);
  ::umask(022);
  write_file_atomic(dir / "c", "c", 0664);
  write_file_atomic(dir / "d", "d", 0644);
  ::umask(before);
  EXPECT_EQ(mode_of("a"), 0644u);
  EXPECT_EQ(mode_of("b"), 0640u);
  EXPECT_EQ(mode_of("c"), 0664u);
  EXPECT_EQ(mode_of("d"), 0644u);
}

TEST(Files, AnUnnamedFileIsLinkedThroughProcWhereTheKernelRefusesItsDescriptor) {
  // A file opened under other credentials by a process without CAP_DAC_READ_SEARCH cannot be
  // linked by its descriptor (ENOENT on every kernel): it must be named through /proc instead.
  test::TempDir dir;
  write_file_atomic(dir / "first", "linked as whoever runs the test");  // decides the way once
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    UniqueFd unnamed = open_unnamed(AT_FDCWD, dir.path().c_str(), 0600, "test folder");
    if (!unnamed.valid()) ::_exit(2);
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    std::array<__user_cap_data_struct, _LINUX_CAPABILITY_U32S_3> caps{};
    if (::syscall(SYS_capget, &header, caps.data()) != 0) ::_exit(3);
    caps[CAP_DAC_READ_SEARCH / 32].effective &= ~(1U << (CAP_DAC_READ_SEARCH % 32));
    if (::syscall(SYS_capset, &header, caps.data()) != 0) ::_exit(4);  // new credentials, too
    try {
      write_full_at(unnamed.get(), "linked through /proc", 0, "unnamed");
      const auto second = dir / "second";
      const TempName no_temp = [] { return std::filesystem::path("/nonexistent/unused"); };
      if (!publish_unnamed(unnamed, AT_FDCWD, second.c_str(), AtomicWrite::NoReplace, no_temp, "second")) ::_exit(5);
    } catch (...) {
      ::_exit(6);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(test::read_file(dir / "second"), "linked through /proc");
  EXPECT_EQ(test::read_file(dir / "first"), "linked as whoever runs the test");
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
