// The Store contract (common/store/store.h), checked the same way on every backend: local
// folder, S3 on Ceph RGW, GCS on the Firebase emulator, and GCS on FakeGcsServer.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <span>
#include <thread>

#include "common/util/crc32c.h"
#include "common/util/error.h"
#include "common/util/thread_pool.h"
#include "stores/backends.h"
#include "support/expect_error.h"
#include "support/test_support.h"

namespace dm::test {
namespace {

using store::ListEntry;
using store::PutMode;

class StoreConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    harness_ = GetParam().make();
    ASSERT_TRUE(harness_.store);
  }
  store::Store& s() { return *harness_.store; }
  std::vector<std::string> listed(const std::string& prefix, const std::string& delimiter) {
    std::vector<std::string> out;
    s().list(prefix, delimiter, [&](const ListEntry& e) { out.push_back(e.name + (e.is_prefix ? " (prefix)" : "")); });
    return out;
  }
  StoreHarness harness_;
};

ErrorKind kind_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::Internal;
}

TEST_P(StoreConformance, PutThenGetReturnsTheSameBytes) {
  const auto small = random_bytes(1000, 1);
  const auto large = random_bytes(3 * 1024 * 1024 + 17, 2);
  std::string zeros(4096, '\0');
  s().put("a/small", small, PutMode::Overwrite);
  s().put("a/large", large, PutMode::Overwrite);
  s().put("zeros", zeros, PutMode::Overwrite);
  s().put("empty", "", PutMode::Overwrite);
  EXPECT_EQ(s().get("a/small"), small);
  EXPECT_EQ(s().get("a/large"), large);
  EXPECT_EQ(s().get("zeros"), zeros);
  EXPECT_EQ(s().get("empty"), "");
}

TEST_P(StoreConformance, MissingObjectIsNotFoundNamingIt) {
  expect_error([&] { s().get("no/such/object"); }, ErrorKind::NotFound, {"no/such/object", s().describe()});
  EXPECT_EQ(kind_of([&] { s().get_range("no/such/object", 0, 10); }), ErrorKind::NotFound);
  EXPECT_FALSE(s().stat("no/such/object").has_value());
  EXPECT_FALSE(s().exists("no/such/object"));
}

// read_into: the whole object into the caller's buffer, sized by the store; too long for
// `max_size` is Corrupt before any buffer is asked for; missing is NotFound.
TEST_P(StoreConformance, ReadIntoFillsTheCallersBuffer) {
  const auto body = random_bytes(3 << 20, 4);  // megabytes: an HTTP body arrives in many pieces
  s().put("r/body", body, PutMode::Overwrite);
  s().put("r/empty", "", PutMode::Overwrite);
  std::vector<char> buffer;
  std::string arrived;  // what on_arrived saw, which must be the buffer's bytes, in order
  const auto into = [&](size_t size) {
    buffer.assign(size + 10, 'x');
    arrived.clear();
    return std::span<char>(buffer.data(), size);
  };
  const auto record = [&](std::string_view bytes) {
    EXPECT_EQ(bytes.data(), buffer.data() + arrived.size()) << "bytes not where the buffer holds them, in order";
    arrived.append(bytes);
  };
  EXPECT_EQ(s().read_into("r/body", body.size(), into, record), body.size());
  EXPECT_EQ(std::string(buffer.data(), body.size()), body);
  EXPECT_EQ(arrived, body);
  EXPECT_EQ(s().read_into("r/empty", 10, into, record), 0u);
  EXPECT_EQ(arrived, "");
  EXPECT_EQ(s().read_into("r/body", body.size(), into, {}), body.size());  // no observer
  EXPECT_EQ(std::string(buffer.data(), body.size()), body);
  bool asked = false;
  const auto never = [&](size_t size) {
    asked = true;
    buffer.resize(size);
    return std::span<char>(buffer.data(), size);
  };
  EXPECT_EQ(kind_of([&] { s().read_into("r/body", body.size() - 1, never, {}); }), ErrorKind::Corrupt);
  EXPECT_FALSE(asked);
  EXPECT_EQ(kind_of([&] { s().read_into("r/missing", 10, never, {}); }), ErrorKind::NotFound);
}

TEST_P(StoreConformance, GetRangeFollowsTheContract) {
  const auto data = gen_bytes(10000);
  s().put("r", data, PutMode::Overwrite);
  EXPECT_EQ(s().get_range("r", 0, 10), data.substr(0, 10));
  EXPECT_EQ(s().get_range("r", 1234, 4000), data.substr(1234, 4000));
  EXPECT_EQ(s().get_range("r", 9990, 100), data.substr(9990));  // shorter only at the end
  EXPECT_EQ(s().get_range("r", 10000, 5), "");                  // at the end
  EXPECT_EQ(s().get_range("r", 20000, 5), "");                  // past it
  EXPECT_EQ(s().get_range("r", 5, 0), "");
}

TEST_P(StoreConformance, StatReportsSizeAndBackendCrc) {
  const auto data = random_bytes(70000, 3);
  s().put("st", data, PutMode::Overwrite);
  const auto info = s().stat("st");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->size, data.size());
  if (GetParam().name.rfind("gcs", 0) == 0) {
    ASSERT_TRUE(info->crc32c.has_value()) << "GCS reports a CRC32C";
    EXPECT_EQ(*info->crc32c, crc32c(data));
  } else {
    EXPECT_FALSE(info->crc32c.has_value());
  }
  EXPECT_TRUE(s().exists("st"));
}

// `purge` relies on every backend reporting when an object was written, and on
// remove_if_older keeping what is newer than its cutoff.
TEST_P(StoreConformance, StatReportsTheWriteTimeAndRemoveIfOlderHonoursIt) {
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  s().put("aged", "x", PutMode::Overwrite);
  const auto info = s().stat("aged");
  ASSERT_TRUE(info.has_value());
  ASSERT_TRUE(info->modified.has_value()) << GetParam().name << " reports no write time";
  EXPECT_LE(std::abs(*info->modified - now), 300) << "write time far from now: " << *info->modified;
  EXPECT_FALSE(s().remove_if_older("aged", now - 3600));
  EXPECT_TRUE(s().exists("aged"));
  EXPECT_TRUE(s().remove_if_older("aged", now + 3600));
  EXPECT_FALSE(s().exists("aged"));
  EXPECT_FALSE(s().remove_if_older("aged", now + 3600)) << "a missing object is not removed";
}

TEST_P(StoreConformance, OverwriteReplacesTheObject) {
  s().put("label", "one", PutMode::Overwrite);
  s().put("label", "two, longer", PutMode::Overwrite);
  EXPECT_EQ(s().get("label"), "two, longer");
  EXPECT_EQ(s().stat("label")->size, 11u);
}

TEST_P(StoreConformance, ListGivesByteOrderWithPrefixesFolded) {
  for (const char* n : {"a/1", "a/2", "a/b/3", "a.txt", "ab", "b", "a/b/c/4"}) s().put(n, n, PutMode::Overwrite);
  EXPECT_EQ(listed("", ""), (std::vector<std::string>{"a.txt", "a/1", "a/2", "a/b/3", "a/b/c/4", "ab", "b"}));
  EXPECT_EQ(listed("a/", ""), (std::vector<std::string>{"a/1", "a/2", "a/b/3", "a/b/c/4"}));
  EXPECT_EQ(listed("a/", "/"), (std::vector<std::string>{"a/1", "a/2", "a/b/ (prefix)"}));
  EXPECT_EQ(listed("", "/"), (std::vector<std::string>{"a.txt", "a/ (prefix)", "ab", "b"}));
  EXPECT_EQ(listed("a", "/"), (std::vector<std::string>{"a.txt", "a/ (prefix)", "ab"}));
  EXPECT_TRUE(listed("zzz", "").empty());
}

TEST_P(StoreConformance, ListFollowsPagesPastOneThousand) {
  constexpr size_t kCount = 1010;
  parallel_for(kCount, 8, [&](size_t i) {
    char name[32];
    std::snprintf(name, sizeof name, "many/%05zu", i);
    s().put(name, "x", PutMode::Overwrite);
  });
  s().put("other", "y", PutMode::Overwrite);
  const auto names = listed("many/", "");
  ASSERT_EQ(names.size(), kCount);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(names.front(), "many/00000");
  EXPECT_EQ(names.back(), "many/01009");
}

TEST_P(StoreConformance, NamesWithSpacesAndUnicodeRoundTrip) {
  const std::string name = "dir/with space/\xc3\xa4+#?%&=.txt";
  s().put(name, "odd", PutMode::Overwrite);
  EXPECT_EQ(s().get(name), "odd");
  EXPECT_EQ(s().get_range(name, 1, 1), "d");
  EXPECT_EQ(listed("dir/", ""), std::vector<std::string>{name});
}

TEST_P(StoreConformance, RemoveDeletesAndMissingIsNotFound) {
  s().put("gone", "bye", PutMode::Overwrite);
  s().remove("gone");
  EXPECT_FALSE(s().exists("gone"));
  EXPECT_EQ(kind_of([&] { s().get("gone"); }), ErrorKind::NotFound);
  EXPECT_EQ(kind_of([&] { s().remove("gone"); }), ErrorKind::NotFound);
}

TEST_P(StoreConformance, ConcurrentWritersAndReadersSeeWholeObjects) {
  constexpr size_t kObjects = 24;
  parallel_for(kObjects, 8,
               [&](size_t i) { s().put("c/" + std::to_string(i), random_bytes(100000 + i, i), PutMode::Overwrite); });
  parallel_for(kObjects, 8,
               [&](size_t i) { EXPECT_EQ(s().get("c/" + std::to_string(i)), random_bytes(100000 + i, i)); });
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreConformance,
                         ::testing::Values(local_backend(), s3_rgw_backend(), gcs_emulator_backend(),
                                           gcs_fake_backend()),
                         backend_name);

// NoOverwrite is an atomic precondition on the backend. The Firebase emulator ignores
// ifGenerationMatch, so GCS is checked on FakeGcsServer here.
class StorePreconditions : public StoreConformance {};

TEST_P(StorePreconditions, NoOverwriteCreatesOnceAndRefusesAfter) {
  s().put("once", "first", PutMode::NoOverwrite);
  expect_error([&] { s().put("once", "second", PutMode::NoOverwrite); }, ErrorKind::AlreadyExists, {"once"});
  EXPECT_EQ(s().get("once"), "first");
}

TEST_P(StorePreconditions, RacingNoOverwriteWritersHaveOneWinner) {
  constexpr size_t kWriters = 8;
  std::atomic<int> winners{0}, refused{0};
  parallel_for(kWriters, kWriters, [&](size_t i) {
    try {
      s().put("race", "writer " + std::to_string(i), PutMode::NoOverwrite);
      ++winners;
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::AlreadyExists) ++refused;
    }
  });
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(refused.load(), static_cast<int>(kWriters) - 1);
  EXPECT_EQ(s().get("race").rfind("writer ", 0), 0u);
}

INSTANTIATE_TEST_SUITE_P(Stores, StorePreconditions,
                         ::testing::Values(local_backend(), s3_rgw_backend(), gcs_fake_backend()), backend_name);

}  // namespace
}  // namespace dm::test
