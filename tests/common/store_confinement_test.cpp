// A file:// store trusts nothing it reads: bucket names from a context name only siblings, a
// malformed --config is refused before any request, and a bucket folder holds only objects.
#include <gtest/gtest.h>

#include <algorithm>

#include "common/store/local_store.h"
#include "common/store/open_store.h"
#include "common/util/error.h"
#include "support/expect_error.h"
#include "support/test_support.h"

namespace dm::store {
namespace {

TEST(OpenStore, BucketNamesFromAContextAreConfinedToSiblings) {
  const std::string url = "file:///data/dm/config";
  for (const std::string bad : {"../x", "/abs", "a/b", "..", ".", "", "file:///etc", "gs://other"}) {
    SCOPED_TRACE(bad);
    test::expect_error([&] { sibling_bucket_url(url, bad); }, ErrorKind::InvalidArgument,
                       {"bucket name '" + bad + "'"});
  }
}

TEST(OpenStore, MalformedConfigBucketIsRefusedBeforeAnyRequest) {
  // No endpoint answers here: an error naming the value proves no request was needed.
  for (const std::string bad : {"my bucket", "gs://", "s3://bad%bucket/x", "a\nb"}) {
    SCOPED_TRACE(bad);
    test::expect_error([&] { parse_store_url(bad); }, ErrorKind::InvalidArgument);
  }
}

TEST(LocalStore, KeepsItsTemporaryFilesOutsideTheBucket) {
  test::TempDir dir;
  LocalStore store(dir / "bucket");
  store.put("a", "x", PutMode::Overwrite);
  store.put("b", "y", PutMode::NoOverwrite);
  std::vector<std::string> in_bucket;
  for (const auto& e : std::filesystem::directory_iterator(dir / "bucket")) in_bucket.push_back(e.path().filename());
  std::sort(in_bucket.begin(), in_bucket.end());
  EXPECT_EQ(in_bucket, (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace dm::store
