// LocalStore specifics: atomic publication, NoOverwrite races, names that escape the bucket.
#include "common/store/local_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/store/open_store.h"
#include "common/util/error.h"
#include "support/expect_error.h"
#include "support/test_support.h"

namespace dm::store {
namespace {

TEST(LocalStore, NoOverwriteRaceHasExactlyOneWinner) {
  test::TempDir dir;
  LocalStore store(dir.path());
  for (int round = 0; round < 20; ++round) {
    // Names in a folder and names in the bucket itself (blobs, reached from the held descriptor).
    const std::string name = std::string(round % 2 == 0 ? "race/obj" : "obj").append(std::to_string(round));
    std::atomic<int> winners{0}, losers{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        try {
          store.put(name, std::string(1000, static_cast<char>('a' + t)), PutMode::NoOverwrite);
          ++winners;
        } catch (const Error& e) {
          EXPECT_EQ(e.kind(), ErrorKind::AlreadyExists);
          ++losers;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(winners.load(), 1);
    EXPECT_EQ(losers.load(), 7);
    const auto data = store.get(name);
    EXPECT_EQ(data, std::string(1000, data[0]));  // whole, never a mix
  }
}

// A create-if-absent leaves nothing beside the object, and a symlink at its name counts as an
// existing object: never followed, never replaced.
TEST(LocalStore, NoOverwriteLeavesNoTemporaryAndNeverFollowsASymlink) {
  test::TempDir dir;
  const auto bucket = dir.path() / "blob";
  LocalStore store(bucket);
  for (int i = 0; i < 5; ++i) store.put("obj" + std::to_string(i), std::string(3000, 'x'), PutMode::NoOverwrite);
  test::write_file(dir.path() / "outside", "not the store's");
  std::filesystem::create_symlink(dir.path() / "outside", bucket / "planted");
  test::expect_error([&] { store.put("planted", "new", PutMode::NoOverwrite); }, ErrorKind::AlreadyExists, {"planted"});
  EXPECT_EQ(test::read_file(dir.path() / "outside"), "not the store's");
  EXPECT_TRUE(std::filesystem::is_symlink(bucket / "planted"));
  size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path()))
    files += e.symlink_status().type() == std::filesystem::file_type::regular;
  EXPECT_EQ(files, 6u);  // five objects and the outside file: no temporary anywhere
}

// An overwrite replaces whatever holds the name, a planted symlink too, and never writes through it.
TEST(LocalStore, OverwriteReplacesAPlantedSymlinkNotItsTarget) {
  test::TempDir dir;
  const auto bucket = dir.path() / "blob";
  LocalStore store(bucket);
  test::write_file(dir.path() / "outside", "not the store's");
  std::filesystem::create_symlink(dir.path() / "outside", bucket / "planted");
  EXPECT_FALSE(store.stat("planted").has_value()) << "a symlink is not an object";
  store.put("planted", "new", PutMode::Overwrite);
  EXPECT_EQ(test::read_file(dir.path() / "outside"), "not the store's");
  EXPECT_FALSE(std::filesystem::is_symlink(bucket / "planted"));
  EXPECT_EQ(store.get("planted"), "new");
  ASSERT_TRUE(store.stat("planted").has_value());
  EXPECT_EQ(store.stat("planted")->size, 3u);
}

TEST(LocalStore, ReadersNeverSeeTornObjects) {
  test::TempDir dir;
  LocalStore store(dir.path());
  store.put("obj", std::string(1 << 20, 'a'), PutMode::Overwrite);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < 50; ++i)
      store.put("obj", std::string(1 << 20, static_cast<char>('a' + i % 26)), PutMode::Overwrite);
    stop = true;
  });
  int reads = 0;
  while (!stop || reads == 0) {
    const auto data = store.get("obj");
    ASSERT_EQ(data.size(), 1u << 20);
    ASSERT_EQ(data, std::string(data.size(), data[0]));
    ++reads;
  }
  writer.join();
}

TEST(LocalStore, ListsWithPrefixAndDelimiterInNameOrder) {
  test::TempDir dir;
  LocalStore store(dir.path());
  for (const char* n : {"bundles/r/B/bundle.yaml", "bundles/r/A/bundle-files-0.yaml", "bundles/r/A/bundle.yaml",
                        "bundles/q/C/bundle.yaml", "repos/r/repo.yaml"}) {
    store.put(n, "x", PutMode::Overwrite);
  }
  std::vector<std::string> all, dirs;
  store.list("bundles/r/", "", [&](const ListEntry& e) { all.push_back(e.name); });
  EXPECT_EQ(all, (std::vector<std::string>{"bundles/r/A/bundle-files-0.yaml", "bundles/r/A/bundle.yaml",
                                           "bundles/r/B/bundle.yaml"}));
  store.list("bundles/r/", "/", [&](const ListEntry& e) {
    EXPECT_TRUE(e.is_prefix);
    dirs.push_back(e.name);
  });
  EXPECT_EQ(dirs, (std::vector<std::string>{"bundles/r/A/", "bundles/r/B/"}));
  std::vector<std::string> none;
  store.list("nothing/", "", [&](const ListEntry& e) { none.push_back(e.name); });
  EXPECT_TRUE(none.empty());
}

TEST(LocalStore, RangesAndMissingObjects) {
  test::TempDir dir;
  LocalStore store(dir.path());
  store.put("a", "0123456789", PutMode::NoOverwrite);
  EXPECT_EQ(store.get_range("a", 2, 3), "234");
  EXPECT_EQ(store.get_range("a", 8, 100), "89");
  EXPECT_EQ(store.get_range("a", 10, 5), "");
  EXPECT_EQ(store.stat("a")->size, 10u);
  EXPECT_FALSE(store.stat("b"));
  test::expect_error([&] { store.get("b"); }, ErrorKind::NotFound, {store.describe() + "/b"});
}

TEST(LocalStore, GetIntoReusesTheBufferAndReplacesItsContent) {
  test::TempDir dir;
  LocalStore store(dir.path());
  const std::string big = test::gen_bytes(3 << 20), small = "tail";
  store.put("big", big, PutMode::NoOverwrite);
  store.put("small", small, PutMode::NoOverwrite);
  store.put("empty", "", PutMode::NoOverwrite);
  std::string buffer = "stale content that must not survive";
  store.get_into("big", buffer, 1 << 30);
  EXPECT_EQ(buffer, big);
  const char* const memory = buffer.data();
  store.get_into("small", buffer, 1 << 30);  // shorter: replaced, not merged with the big one
  EXPECT_EQ(buffer, small);
  store.get_into("big", buffer, 1 << 30);  // longer again: the same memory, no reallocation
  EXPECT_EQ(buffer, big);
  EXPECT_EQ(buffer.data(), memory);
  store.get_into("empty", buffer, 1 << 30);
  EXPECT_TRUE(buffer.empty());
  test::expect_error([&] { store.get_into("missing", buffer, 1 << 30); }, ErrorKind::NotFound,
                     {store.describe() + "/missing"});
}

TEST(LocalStore, RejectsNamesThatEscapeTheBucket) {
  test::TempDir dir;
  LocalStore store(dir / "bucket");
  for (const std::string& bad : std::vector<std::string>{"../x", "a/../../x", "/etc/passwd", "a//b", "./a", "",
                                                         std::string("a\0b", 3), ".dm-tmp/x"}) {
    EXPECT_THROW(store.put(bad, "x", PutMode::Overwrite), Error) << bad;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "x"));
}

TEST(OpenStore, FileUrlsAndSiblingBuckets) {
  test::TempDir dir;
  const auto url = "file://" + (dir / "config").string();
  auto s = open_store(url, {});
  EXPECT_EQ(s->describe(), url);
  EXPECT_EQ(sibling_bucket_url(url, "dev-blob"), "file://" + (dir / "dev-blob").string());
  EXPECT_EQ(sibling_bucket_url("workshop-config", "dev-blob"), "gs://dev-blob");
  EXPECT_EQ(sibling_bucket_url("s3://cfg", "dev-blob"), "s3://dev-blob");
  EXPECT_THROW(open_store("file://relative/path", {}), Error);
  EXPECT_THROW(open_store("ftp://x", {}), Error);
}

}  // namespace
}  // namespace dm::store

namespace dm::store {
namespace {

TEST(LocalStore, DeferredSyncStillPublishesAtomicallyAndFlushes) {
  test::TempDir dir;
  LocalStore store(dir / "blobs", true, /*defer_sync=*/true);
  store.put("aa", "x", PutMode::NoOverwrite);
  store.put("nested/bb", "y", PutMode::Overwrite);
  EXPECT_THROW(store.put("aa", "z", PutMode::NoOverwrite), Error);
  EXPECT_EQ(store.get("aa"), "x");
  EXPECT_EQ(store.get("nested/bb"), "y");
  store.flush();  // one syncfs of the bucket's file system; must not throw
  store.flush();  // and again with nothing written since
}

}  // namespace
}  // namespace dm::store
