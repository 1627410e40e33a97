// S3 ListObjectVersions corners no RGW bucket shows on demand, played by FakeHttpServer (a test
// double, not an S3): pages joined through key and version-id markers, delete markers and longer
// keys left out, hostile version ids and endless or markerless pages refused naming the object.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/util/error.h"
#include "stores/backends.h"
#include "stores/fake_http_server.h"
#include "support/expect_error.h"

namespace dm::test {
namespace {

std::string version(const std::string& key, const std::string& id) {
  return "<Version><Key>" + key + "</Key><VersionId>" + id + "</VersionId><IsLatest>false</IsLatest></Version>";
}

std::string page(const std::string& entries, const std::string& next_key, const std::string& next_version) {
  std::string xml = "<ListVersionsResult><Name>b</Name><Prefix>k</Prefix>";
  xml +=
      next_key.empty() && next_version.empty() ? "<IsTruncated>false</IsTruncated>" : "<IsTruncated>true</IsTruncated>";
  if (!next_key.empty()) xml += "<NextKeyMarker>" + next_key + "</NextKeyMarker>";
  if (!next_version.empty()) xml += "<NextVersionIdMarker>" + next_version + "</NextVersionIdMarker>";
  return xml + entries + "</ListVersionsResult>";
}

// list_versions("k") against a server that answers every request with `body` fails with
// `kind`, saying `message`.
void expect_versions_error(const std::string& body, ErrorKind kind, const std::string& message) {
  FakeHttpServer server([body](const FakeRequest&) -> FakeResponse { return {200, {}, body}; });
  expect_error([&] { s3_store_on(server.url(), "b")->list_versions("k"); }, kind, {message});
}

TEST(S3Versions, PagesAreJoinedThroughTheMarkersOldestFirstWithoutDeleteMarkersOrLongerKeys) {
  std::vector<std::string> markers;
  FakeHttpServer server([&](const FakeRequest& r) -> FakeResponse {
    EXPECT_TRUE(r.has_param("versions"));
    EXPECT_EQ(r.param("prefix"), "k");
    markers.push_back(r.param("key-marker") + "/" + r.param("version-id-marker"));
    if (r.param("key-marker").empty()) {
      const auto tomb = "<DeleteMarker><Key>k</Key><VersionId>gone</VersionId></DeleteMarker>";
      return {200, {}, page(version("k", "v4") + tomb + version("k", "v3"), "k", "v3")};
    }
    return {200, {}, page(version("k", "v2") + version("k", "v1") + version("k.bak", "other"), "", "")};
  });
  EXPECT_EQ(s3_store_on(server.url(), "b")->list_versions("k"), (std::vector<std::string>{"v1", "v2", "v3", "v4"}));
  EXPECT_EQ(markers, (std::vector<std::string>{"/", "k/v3"}));
}

TEST(S3Versions, AListingPastTheKeyStopsThere) {
  unsigned requests = 0;
  FakeHttpServer server([&](const FakeRequest&) -> FakeResponse {
    ++requests;
    return {200, {}, page(version("k", "v1") + version("k0", "x"), "k0", "x")};
  });
  EXPECT_EQ(s3_store_on(server.url(), "b")->list_versions("k"), std::vector<std::string>{"v1"});
  EXPECT_EQ(requests, 1u);
}

TEST(S3Versions, AHostileVersionIdIsRefusedNamingTheObject) {
  expect_versions_error(page(version("k", "a b"), "", ""), ErrorKind::InvalidArgument,
                        "s3://b/k (versions): invalid S3 version id 'a b'");
}

TEST(S3Versions, ATruncatedPageWithoutAKeyMarkerIsNotTakenAsWhole) {
  expect_versions_error(page(version("k", "v"), "", "v"), ErrorKind::Unavailable,
                        "listing s3://b/k (versions): a truncated page without a key marker");
}

TEST(S3Versions, AListingThatRepeatsItsMarkersEnds) {
  expect_versions_error(page(version("k", "v"), "k", "v"), ErrorKind::Unavailable,
                        "listing s3://b/k (versions): the server sent the same page token twice");
}

}  // namespace
}  // namespace dm::test
