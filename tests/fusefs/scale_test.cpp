// A 200 000-entry bundle (tiny files in many directories) mounted for real: every entry is
// listed by a recursive walk, and sampled files read byte-exact. No timing asserts.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/cafs/hasher.h"
#include "common/cafs/writer.h"
#include "common/model/catalog.h"
#include "common/model/ksuid.h"
#include "fusefs/fuse_fixture.h"

namespace dm::test {
namespace {

namespace fs = std::filesystem;

constexpr size_t kEntries = 200000;
constexpr size_t kDistinct = 100;  // distinct contents, shared by the entries round-robin

std::string content_of(size_t k) {
  return "content " + std::to_string(k) + "\n" + random_bytes(k * 37 % 3000, k);
}

// d{00..19}/e{00..99}/f{000000..199999}: 20 + 2000 directories of 100 files.
std::string name_of(size_t i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "d%02zu/e%02zu/f%06zu", i / 10000, i / 100 % 100, i);
  return buf;
}

std::string read_whole(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ScaleMount, TwoHundredThousandEntriesAreAllListedAndSampledFilesReadExact) {
  TestContext ctx;
  TempDir work;
  const fs::path mnt = work / "mnt";
  fs::create_directories(mnt);

  std::vector<std::string> roots;
  {
    ThreadPool pool(2);
    cafs::Writer writer(*ctx.stores().blob, cafs::kDefaultLeafSize, pool);
    for (size_t k = 0; k < kDistinct; ++k) roots.push_back(writer.put_bytes(content_of(k)).root.hex());
  }
  std::vector<model::BundleEntry> entries(kEntries);
  for (size_t i = 0; i < kEntries; ++i) {
    entries[i].hash = roots[i % kDistinct];
    entries[i].name = name_of(i);
    entries[i].size = content_of(i % kDistinct).size();
  }
  // Index files in an order other than the names' (as Go writes completion order).
  std::reverse(entries.begin(), entries.end());
  model::BundleDescriptor d;
  d.leaf_size = cafs::kDefaultLeafSize;
  d.id = model::ksuid_new();
  d.message = "200k";
  d.timestamp = model::Timestamp::now_utc();
  d.version = 2;
  d.deduplication = "blake";
  ctx.stores().catalog().write_bundle("repo", d, entries);

  MountProcess m(ctx, d.id, mnt);
  ASSERT_TRUE(m.ready()) << m.log();

  std::vector<std::string> files;
  size_t dirs = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(mnt, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_directory()) {
      ++dirs;
    } else {
      ASSERT_TRUE(it->is_regular_file()) << it->path();
      files.push_back(it->path().lexically_relative(mnt).generic_string());
    }
  }
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(dirs, 20u + 2000u);
  ASSERT_EQ(files.size(), kEntries);
  std::sort(files.begin(), files.end());
  for (size_t i = 0; i < kEntries; ++i) ASSERT_EQ(files[i], name_of(i)) << "entry " << i;

  for (size_t i : {size_t{0}, size_t{1}, size_t{99}, size_t{12345}, size_t{99999}, size_t{150001}, kEntries - 1}) {
    const auto path = mnt / name_of(i);
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(static_cast<size_t>(st.st_size), content_of(i % kDistinct).size()) << path;
    EXPECT_EQ(read_whole(path), content_of(i % kDistinct)) << path;
  }
  EXPECT_FALSE(fs::exists(mnt / "d20")) << "no entry beyond the index";
}

}  // namespace
}  // namespace dm::test
