// One token source per credential per process: stores opened with the same service account
// share one token (counted at FakeTokenEndpoint), in-process and through the CLI.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/auth/token_source_cache.h"
#include "common/store/gcs/gcs_store.h"
#include "common/store/open_store.h"
#include "stores/fake_gcs_server.h"
#include "stores/fake_token_endpoint.h"
#include "support/test_support.h"

namespace dm::test {
namespace {

TEST(TokenSharing, StoresOfOneCredentialFileFetchOneToken) {
  TestKey key;
  FakeTokenEndpoint endpoint(key);
  FakeGcsServer gcs;
  gcs.require_token("tok-1");  // a second fetch would hand out tok-2, which this server refuses
  TempDir dir;
  write_file(dir / "sa.json", endpoint.key_json());
  store::StoreOptions options;
  options.credential_file = (dir / "sa.json").string();
  options.gcs_endpoint = gcs.url();
  for (const char* bucket : {"config", "meta", "vmeta", "blob"}) {
    gcs.add_bucket(bucket);
    auto s = store::open_store(std::string("gs://") + bucket, options);
    s->put("o", bucket, store::PutMode::Overwrite);
    EXPECT_EQ(s->get("o"), bucket);
  }
  EXPECT_EQ(endpoint.issued, 1u) << endpoint.last_error;
  EXPECT_EQ(endpoint.server.requests(), 1u);
}

TEST(TokenSharing, AnotherOrRewrittenCredentialFileGetsItsOwnSource) {
  TestKey key;
  FakeTokenEndpoint endpoint(key);
  TempDir dir;
  write_file(dir / "a.json", endpoint.key_json());
  write_file(dir / "b.json", endpoint.key_json());
  auth::TokenSourceCache cache;
  auto http = std::make_shared<http::HttpClient>();
  auto env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  store::StoreOptions a, b;
  a.credential_file = (dir / "a.json").string();
  b.credential_file = (dir / "b.json").string();
  const auto first = auth::gcs_token_source(a, env, http, &cache);
  EXPECT_EQ(auth::gcs_token_source(a, env, http, &cache), first);
  EXPECT_NE(auth::gcs_token_source(b, env, http, &cache), first);
  EXPECT_EQ(cache.size(), 2u);
  write_file(dir / "a.json", endpoint.key_json() + "\n");  // rotated: other content
  EXPECT_NE(auth::gcs_token_source(a, env, http, &cache), first);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(endpoint.issued, 0u);  // sources fetch on first use, not when made
}

TEST(TokenSharing, ARejectionSeenByManyRequestsFetchesOneNewToken) {
  TestKey key;
  FakeTokenEndpoint endpoint(key);
  FakeGcsServer gcs;
  gcs.add_bucket("b");
  gcs.require_token("tok-2");  // the first token is refused (revoked, say)
  TempDir dir;
  write_file(dir / "sa.json", endpoint.key_json());
  store::StoreOptions options;
  options.credential_file = (dir / "sa.json").string();
  options.gcs_endpoint = gcs.url();
  std::vector<std::unique_ptr<store::Store>> stores;
  for (int i = 0; i < 8; ++i) stores.push_back(store::open_store("gs://b", options));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (auto& s : stores) {
    threads.emplace_back([&s, &ok] {
      if (!s->stat("absent").has_value()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(endpoint.issued, 2u);  // tok-1 (refused), then tok-2 for everyone
}

// The CLI opens the config, metadata, vmetadata and blob buckets: one token for all of them.
TEST(TokenSharing, OneTokenRequestPerCliCommand) {
  TestKey key;
  FakeTokenEndpoint endpoint(key);
  FakeGcsServer gcs;
  for (const char* b : {"cfg", "blob", "meta", "vmeta"}) gcs.add_bucket(b);
  TempDir dir;
  write_file(dir / "sa.json", endpoint.key_json());
  const std::vector<std::string> env{"HOME=" + dir.path().string(),
                                     "DATAMON_CONTEXT=tok",
                                     "GOOGLE_APPLICATION_CREDENTIALS=" + (dir / "sa.json").string(),
                                     "DATAMON_CREDENTIAL=",
                                     "GOOGLE_OAUTH_ACCESS_TOKEN=",
                                     "DATAMON_GLOBAL_CONFIG=gs://cfg",
                                     "DATAMON_GCS_ENDPOINT=" + gcs.url(),
                                     "DATAMON_NAME=Tester",
                                     "DATAMON_EMAIL=t@example.com"};
  auto r = datamon(
      {"context", "create", "--blob", "blob", "--meta", "meta", "--vmeta", "vmeta", "--wal", "w", "--read-log", "rl"},
      env);
  ASSERT_EQ(r.exit_code, 0) << r.err << endpoint.last_error;
  EXPECT_EQ(endpoint.issued, 1u);
  r = datamon({"repo", "create", "--repo", "r", "--description", "d"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(endpoint.issued, 2u);
  write_file(dir / "src/a", random_bytes(3000, 1));
  write_file(dir / "src/b", random_bytes(70000, 2));
  r = datamon({"bundle", "upload", "--path", (dir / "src").string(), "--repo", "r", "--message", "m"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(endpoint.issued, 3u);
  EXPECT_EQ(endpoint.server.requests(), 3u);
}

}  // namespace
}  // namespace dm::test
