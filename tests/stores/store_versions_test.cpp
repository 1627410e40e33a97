// Object versions (store.h: is_versioned, list_versions, read_version) on a versioned RGW bucket
// and a versioned FakeGcsServer bucket (the Firebase emulator has no versioning), the refusals of
// the stores that keep none, and the forwarding of the decorators.
#include <gtest/gtest.h>

#include "common/model/catalog.h"
#include "common/model/paths.h"
#include "common/store/counting_store.h"
#include "common/store/fault_injecting_store.h"
#include "common/util/error.h"
#include "stores/backends.h"
#include "support/test_support.h"

namespace dm::test {
namespace {

constexpr const char* kLabel = "labels/repo/a/label.yaml";
constexpr uint64_t kMax = 1 << 20;

// The dm::Error that `f` throws (a test failure when it throws none).
Error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error";
  return Error(ErrorKind::Internal, "no error");
}

class VersionedStore : public ::testing::TestWithParam<Backend> {};

TEST_P(VersionedStore, ListsEveryWriteOldestFirstAndReadsEach) {
  auto h = GetParam().make();
  auto& s = *h.store;
  EXPECT_TRUE(s.is_versioned());
  for (const char* body : {"one", "two", "three"}) s.put(kLabel, body, store::PutMode::Overwrite);
  // Names the prefix also matches are not versions of the object.
  s.put(std::string(kLabel) + ".bak", "other", store::PutMode::Overwrite);
  s.put("labels/repo/a/label.yam", "short", store::PutMode::Overwrite);

  const auto versions = s.list_versions(kLabel);
  ASSERT_EQ(versions.size(), 3u);
  std::vector<std::string> bodies;
  for (const auto& v : versions) bodies.push_back(s.read_version(kLabel, v, kMax));
  EXPECT_EQ(bodies, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(s.get(kLabel), "three");
  EXPECT_TRUE(s.list_versions("labels/repo/missing/label.yaml").empty());
}

TEST_P(VersionedStore, RefusesBadVersionIdsAndReportsMissingOnes) {
  auto h = GetParam().make();
  auto& s = *h.store;
  s.put(kLabel, "one", store::PutMode::Overwrite);
  s.put(kLabel, "two", store::PutMode::Overwrite);
  EXPECT_EQ(error_of([&] { s.read_version(kLabel, "", kMax); }).kind(), ErrorKind::InvalidArgument);
  EXPECT_EQ(error_of([&] { s.read_version(kLabel, "1 2", kMax); }).kind(), ErrorKind::InvalidArgument);
  EXPECT_EQ(error_of([&] { s.read_version(kLabel, std::string("1\n2"), kMax); }).kind(), ErrorKind::InvalidArgument);
  // Digits are a valid id for both backends; this one was never given.
  EXPECT_EQ(error_of([&] { s.read_version(kLabel, "12345", kMax); }).kind(), ErrorKind::NotFound);
  const auto versions = s.list_versions(kLabel);
  ASSERT_EQ(versions.size(), 2u);
  const std::string message = error_of([&] { s.read_version(kLabel, versions[1], 2); }).what();
  EXPECT_NE(message.find("larger than the 2 bytes"), std::string::npos) << message;
  EXPECT_NE(message.find(kLabel), std::string::npos) << message;
}

TEST_P(VersionedStore, DecoratorsForwardAndCountVersionCalls) {
  auto h = GetParam().make();
  h.store->put(kLabel, "one", store::PutMode::Overwrite);
  store::CountingStore counting(*h.store);
  store::FaultInjectingStore faulty(counting, store::FaultPlan{});
  EXPECT_TRUE(faulty.is_versioned());
  const auto versions = faulty.list_versions(kLabel);
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(faulty.read_version(kLabel, versions[0], kMax), "one");
  EXPECT_EQ(counting.lists.load(), 1u);
  EXPECT_EQ(counting.gets.load(), 1u);
  EXPECT_EQ(counting.bytes_in.load(), 3u);
}

INSTANTIATE_TEST_SUITE_P(Stores, VersionedStore,
                         ::testing::Values(s3_rgw_versioned_backend(), gcs_fake_versioned_backend()),
                         [](const auto& info) { return info.param.name; });

TEST(UnversionedStore, LocalFolderRefusesVersionedReadsNamingIt) {
  auto h = local_backend().make();
  auto& s = *h.store;
  s.put(kLabel, "one", store::PutMode::Overwrite);
  EXPECT_FALSE(s.is_versioned());
  const std::string message = error_of([&] { s.list_versions(kLabel); }).what();
  EXPECT_EQ(message, "versioned store is required: " + s.describe() + " does not enable versioning");
  EXPECT_EQ(error_of([&] { s.list_versions(kLabel); }).kind(), ErrorKind::InvalidArgument);
  EXPECT_EQ(error_of([&] { s.read_version(kLabel, "1", kMax); }).kind(), ErrorKind::InvalidArgument);
  // Through a decorator too: the wrapper forwards, it does not answer for the local folder.
  store::CountingStore counting(s);
  EXPECT_FALSE(counting.is_versioned());
  EXPECT_EQ(error_of([&] { counting.list_versions(kLabel); }).kind(), ErrorKind::InvalidArgument);
}

// A bucket without versioning says so, and (as Go's GCS KeyVersions) still lists the current
// version of an object as its only one.
TEST(UnversionedStore, BucketsWithoutVersioningSaySoAndListTheCurrentVersion) {
  for (const auto& backend : {s3_rgw_backend(), gcs_fake_backend()}) {
    SCOPED_TRACE(backend.name);
    auto h = backend.make();
    auto& s = *h.store;
    EXPECT_FALSE(s.is_versioned());
    s.put(kLabel, "one", store::PutMode::Overwrite);
    s.put(kLabel, "two", store::PutMode::Overwrite);
    const auto versions = s.list_versions(kLabel);
    ASSERT_EQ(versions.size(), 1u);
    EXPECT_EQ(s.read_version(kLabel, versions[0], kMax), "two");
  }
}

// The Firebase emulator serves no bucket metadata: asking it is an error naming the bucket, not
// a "not found" about an object.
TEST(UnversionedStore, TheGcsEmulatorCannotTellAndSaysSo) {
  auto h = gcs_emulator_backend().make();
  h.store->put(kLabel, "one", store::PutMode::Overwrite);  // the emulator makes the bucket on first use
  const auto e = error_of([&] { h.store->is_versioned(); });
  EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
  EXPECT_NE(std::string(e.what()).find(h.store->describe() + " (versioning): the server has no bucket metadata"),
            std::string::npos)
      << e.what();
}

// Every version of a label is a document from a hostile store: one named for another label is
// refused naming the object and the version, as the current one is.
TEST(CatalogLabelVersions, AVersionNamedForAnotherLabelIsCorruptNamingIt) {
  auto h = gcs_fake_versioned_backend().make();
  model::Catalog catalog(*h.store, *h.store);
  model::RepoDescriptor repo;
  repo.name = "r";
  catalog.create_repo(repo);
  const auto object = model::label_path("r", "a");
  model::LabelDescriptor label;
  label.name = "other";
  label.id = "x";
  h.store->put(object, model::to_yaml(label), store::PutMode::Overwrite);
  label.name = "a";
  h.store->put(object, model::to_yaml(label), store::PutMode::Overwrite);
  const std::string message = error_of([&] { catalog.get_label_versions("r", "a"); }).what();
  const auto versions = h.store->list_versions(object);
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(message,
            "label " + store::object_url(*h.store, object) + " (version '" + versions[0] + "') is named 'other'");
  EXPECT_EQ(error_of([&] { catalog.list_label_versions("r"); }).kind(), ErrorKind::Corrupt);
  EXPECT_EQ(error_of([&] { catalog.get_label_versions("r", "missing"); }).kind(), ErrorKind::NotFound);
  EXPECT_EQ(error_of([&] { catalog.get_label_versions("nope", "a"); }).kind(), ErrorKind::NotFound);
}

}  // namespace
}  // namespace dm::test
