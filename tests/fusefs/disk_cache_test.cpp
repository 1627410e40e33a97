// DiskCache: a hit lands in the caller's buffer, a file being read is not evicted, a file that is
// too long, of the older layout or a planted symlink is dropped rather than read, and a leaf from
// an aligned buffer is written past the page cache.
#include "fusefs/disk_cache.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/util/aligned_buffer.h"
#include "common/util/crc32c.h"
#include "common/util/unique_fd.h"
#include "support/page_cache.h"
#include "support/test_support.h"

namespace dm::fusefs {
namespace {

constexpr uint64_t kTrailer = 8;  // a cache file's magic and CRC after the data

cafs::Key key_of(uint8_t n) {
  cafs::Key::Bytes b{};
  b[0] = n;
  return cafs::Key(b);
}

// Reads `key` into `out` (sized by the cache) and counts the buffer requests.
std::optional<size_t> read(DiskCache& disk, const cafs::Key& key, std::vector<char>& out, int& requests,
                           uint64_t max_size = 1 << 20) {
  return disk.read_into(key, max_size, [&](size_t length) {
    ++requests;
    out.resize(length);
    return std::span<char>(out.data(), length);
  });
}

TEST(DiskCache, AHitIsReadIntoTheCallersBufferOnce) {
  test::TempDir dir;
  DiskCache disk(dir / "c", 1 << 20);
  const auto data = test::random_bytes(5000, 1);
  disk.put(key_of(1), data);
  std::vector<char> out;
  int requests = 0;
  ASSERT_EQ(read(disk, key_of(1), out, requests), data.size());
  EXPECT_EQ(requests, 1);
  EXPECT_EQ(std::string(out.data(), out.size()), data);
  EXPECT_FALSE(read(disk, key_of(2), out, requests));  // absent: no buffer asked for
  EXPECT_EQ(requests, 1);
  EXPECT_EQ(disk.damaged(), 0u);
}

TEST(DiskCache, AFileBeingReadIsNotEvictedToMakeRoom) {
  test::TempDir dir;
  DiskCache disk(dir / "c", 2 * (1000 + kTrailer));
  disk.put(key_of(1), std::string(1000, 'a'));
  disk.put(key_of(2), std::string(1000, 'b'));
  std::string read_back;
  const auto length = disk.read_into(key_of(1), 1 << 20, [&](size_t n) {
    // While leaf 1 is being read, a leaf needing the whole budget arrives: only leaf 2 may go,
    // which is not room enough, so the newcomer is not kept.
    disk.put(key_of(3), std::string(2 * 1000, 'c'));
    read_back.resize(n);
    return std::span<char>(read_back.data(), n);
  });
  ASSERT_EQ(length, 1000u);
  EXPECT_EQ(read_back, std::string(1000, 'a'));
  EXPECT_TRUE(disk.contains(key_of(1)));
  EXPECT_FALSE(disk.contains(key_of(2)));
  EXPECT_FALSE(disk.contains(key_of(3)));
  EXPECT_FALSE(std::filesystem::exists(disk.file_of(key_of(3))));
  EXPECT_LE(disk.bytes(), disk.budget());
  disk.put(key_of(3), std::string(2 * 1000, 'c'));  // nothing read now: leaf 1 makes room
  EXPECT_TRUE(disk.contains(key_of(3)));
  EXPECT_FALSE(disk.contains(key_of(1)));
}

TEST(DiskCache, AFileLongerThanTheReaderAllowsIsDroppedUnread) {
  test::TempDir dir;
  DiskCache disk(dir / "c", 1 << 20);
  disk.put(key_of(1), std::string(1000, 'a'));
  std::vector<char> out;
  int requests = 0;
  EXPECT_FALSE(read(disk, key_of(1), out, requests, 999));
  EXPECT_EQ(requests, 0);  // nothing allocated for it
  EXPECT_EQ(disk.damaged(), 1u);
  EXPECT_FALSE(disk.contains(key_of(1)));
  EXPECT_FALSE(std::filesystem::exists(disk.file_of(key_of(1))));
}

TEST(DiskCache, APlantedSymlinkIsNotFollowed) {
  test::TempDir dir;
  DiskCache disk(dir / "c", 1 << 20);
  disk.put(key_of(1), std::string(1000, 'a'));
  disk.put(key_of(2), std::string(1000, 'b'));
  // Someone with access to the folder swaps leaf 2's file for a link to a valid cache file.
  const auto outside = dir / "outside";
  std::filesystem::copy_file(disk.file_of(key_of(1)), outside);
  std::filesystem::remove(disk.file_of(key_of(2)));
  std::filesystem::create_symlink(outside, disk.file_of(key_of(2)));
  std::vector<char> out;
  int requests = 0;
  EXPECT_FALSE(read(disk, key_of(2), out, requests));
  EXPECT_EQ(requests, 0);
  EXPECT_EQ(disk.damaged(), 1u);
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(disk.file_of(key_of(2)))));
  EXPECT_TRUE(std::filesystem::exists(outside));  // the link went, not what it pointed at
}

TEST(DiskCache, ALeafFromAnAlignedBufferIsWrittenPastThePageCache) {
  test::DirectTempDir dir;
  ASSERT_TRUE(test::bypasses_page_cache(dir.path())) << dir.path() << " refuses O_DIRECT";
  DiskCache disk(dir / "c", 16 << 20);
  const auto data = test::random_bytes((2 << 20) + 300, 4);  // a whole leaf's bulk and a tail
  AlignedBuffer buffer;
  auto leaf = buffer.first(data.size());
  std::memcpy(leaf.data(), data.data(), data.size());
  disk.put(key_of(1), {leaf.data(), leaf.size()});
  {
    const UniqueFd fd(::open(disk.file_of(key_of(1)).c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    EXPECT_EQ(test::resident_pages(fd.get(), 0, 2 << 20), 0U) << "the leaf's bulk went through the page cache";
  }
  std::vector<char> out;
  int requests = 0;
  ASSERT_EQ(read(disk, key_of(1), out, requests, 4 << 20), data.size());
  EXPECT_TRUE(std::string(out.data(), out.size()) == data);
}

TEST(DiskCache, AFileOfTheOlderLayoutIsDroppedNotServed) {
  test::TempDir dir;
  const auto data = std::string(1000, 'a');
  {
    DiskCache disk(dir / "c", 1 << 20);
    disk.put(key_of(1), data);
    // The first layout: magic "DML1" and the CRC before the data. Its CRC is right, but the
    // layout is not this one's: the file is damage, not a hit.
    std::string old = "DML1";
    const uint32_t crc = crc32c(data);
    for (int i = 0; i < 4; ++i) old += static_cast<char>((crc >> (8 * i)) & 0xff);
    old += data;
    std::ofstream(disk.file_of(key_of(1)), std::ios::binary | std::ios::trunc) << old;
  }
  DiskCache disk(dir / "c", 1 << 20);
  std::vector<char> out;
  int requests = 0;
  EXPECT_FALSE(read(disk, key_of(1), out, requests));
  EXPECT_EQ(disk.damaged(), 1u);
  EXPECT_FALSE(std::filesystem::exists(disk.file_of(key_of(1))));
}

}  // namespace
}  // namespace dm::fusefs
