// The whole CLI flow (context, repo, upload, download, labels, bundle list) through the real
// `datamon` binary on each backend, and the one-line errors for broken stores.
#include <gtest/gtest.h>

#include <sstream>

#include "bin/exit_codes.h"
#include "stores/backends.h"
#include "stores/fake_gcs_server.h"
#include "stores/fake_token_endpoint.h"
#include "support/test_support.h"

namespace dm::test {
namespace {

struct CliBackend {
  std::string name;
  // Environment for datamon with a fresh config bucket and blob/meta/vmeta buckets named in
  // `buckets` (created where the backend needs it).
  std::function<std::vector<std::string>(const TempDir& dir, const std::vector<std::string>& buckets,
                                         std::shared_ptr<void>& keep_alive)>
      env;
};

void PrintTo(const CliBackend& b, std::ostream* os) {
  *os << b.name;
}

std::vector<std::string> common_env(const TempDir& dir) {
  return {"HOME=" + dir.path().string(), "DATAMON_CONTEXT=flow", "GOOGLE_APPLICATION_CREDENTIALS=",
          "DATAMON_CREDENTIAL=",         "DATAMON_NAME=Tester",  "DATAMON_EMAIL=t@example.com"};
}

CliBackend local_cli() {
  return {"local", [](const TempDir& dir, const std::vector<std::string>&, std::shared_ptr<void>&) {
            auto env = common_env(dir);
            env.push_back("DATAMON_GLOBAL_CONFIG=file://" + (dir / "stores/config").string());
            return env;
          }};
}

CliBackend s3_cli() {
  return {"s3_rgw", [](const TempDir& dir, const std::vector<std::string>& buckets, std::shared_ptr<void>&) {
            for (const auto& b : buckets) create_s3_bucket(b);
            auto env = common_env(dir);
            env.insert(env.end(), {"DATAMON_GLOBAL_CONFIG=s3://" + buckets[0], "DATAMON_S3_ENDPOINT=" + s3_endpoint(),
                                   std::string("AWS_ACCESS_KEY_ID=") + kS3AccessKey,
                                   std::string("AWS_SECRET_ACCESS_KEY=") + kS3SecretKey});
            return env;
          }};
}

CliBackend gcs_cli() {
  return {
      "gcs_emulator", [](const TempDir& dir, const std::vector<std::string>& buckets, std::shared_ptr<void>&) {
        auto env = common_env(dir);
        env.insert(env.end(), {"DATAMON_GLOBAL_CONFIG=gs://" + buckets[0], "STORAGE_EMULATOR_HOST=" + gcs_endpoint()});
        return env;
      }};
}

// GcsStore on FakeGcsServer: the emulator has no preconditions, so refusals are checked here.
CliBackend gcs_fake_cli() {
  return {"gcs_fake", [](const TempDir& dir, const std::vector<std::string>& buckets, std::shared_ptr<void>& keep) {
            auto server = std::make_shared<FakeGcsServer>();
            for (const auto& b : buckets) server->add_bucket(b);
            auto env = common_env(dir);
            env.insert(env.end(), {"DATAMON_GLOBAL_CONFIG=gs://" + buckets[0], "DATAMON_GCS_ENDPOINT=" + server->url(),
                                   "GOOGLE_OAUTH_ACCESS_TOKEN="});
            keep = server;
            return env;
          }};
}

std::string bundle_id_of(const std::string& out) {
  const std::string tag = "Uploaded bundle id:";
  const auto pos = out.find(tag);
  if (pos == std::string::npos) return {};
  return out.substr(pos + tag.size(), 27);
}

size_t lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

class CliFlow : public ::testing::TestWithParam<CliBackend> {};

TEST_P(CliFlow, ContextRepoUploadDownloadLabelsAndList) {
  TempDir dir;
  const std::vector<std::string> buckets{unique_bucket("cfg"), unique_bucket("blob"), unique_bucket("meta"),
                                         unique_bucket("vmeta")};
  std::shared_ptr<void> keep_alive;
  const auto env = GetParam().env(dir, buckets, keep_alive);
  auto dm = [&](std::vector<std::string> args) { return datamon(args, env); };

  auto r = dm({"context", "create", "--blob", buckets[1], "--meta", buckets[2], "--vmeta", buckets[3], "--wal", "w",
               "--read-log", "rl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = dm({"repo", "create", "--repo", "flow-repo", "--description", "a repo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const auto src = dir / "src";
  write_file(src / "empty", "");
  write_file(src / "hello.txt", "hello");
  write_file(src / "deep/er/two-leaves.bin", random_bytes(2 * 1024 * 1024 + 7, 9));
  write_file(src / "deep/small", gen_bytes(1000));
  r = dm(
      {"bundle", "upload", "--path", src.string(), "--repo", "flow-repo", "--message", "first", "--label", "latest"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto id = bundle_id_of(r.out);
  ASSERT_EQ(id.size(), 27u) << r.out;

  r = dm({"bundle", "download", "--repo", "flow-repo", "--label", "latest", "--destination", (dir / "dst").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(tree_contents(dir / "dst", {".datamon"}), tree_contents(src));
  r = dm({"bundle", "download", "--repo", "flow-repo", "--bundle", id, "--destination", (dir / "dst2").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(tree_contents(dir / "dst2", {".datamon"}), tree_contents(src));

  r = dm({"label", "set", "--repo", "flow-repo", "--label", "other", "--bundle", id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = dm({"label", "get", "--repo", "flow-repo", "--label", "other"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(id), std::string::npos) << r.out;
  r = dm({"label", "list", "--repo", "flow-repo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("latest"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("other"), std::string::npos) << r.out;

  // The same tree again: a second bundle, every leaf already stored.
  r = dm({"bundle", "upload", "--path", src.string(), "--repo", "flow-repo", "--message", "second"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = dm({"bundle", "list", "--repo", "flow-repo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out), 2u) << r.out;
  EXPECT_NE(r.out.find(id), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("first"), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Stores, CliFlow, ::testing::Values(local_cli(), s3_cli(), gcs_cli(), gcs_fake_cli()),
                         [](const auto& info) { return info.param.name; });

// Creating what exists is refused through the backend's precondition (not the Firebase
// emulator, which ignores ifGenerationMatch).
class CliRefusals : public CliFlow {};

TEST_P(CliRefusals, SecondContextAndRepoCreateAreRefused) {
  TempDir dir;
  const std::vector<std::string> buckets{unique_bucket("cfg"), unique_bucket("blob"), unique_bucket("meta"),
                                         unique_bucket("vmeta")};
  std::shared_ptr<void> keep_alive;
  const auto env = GetParam().env(dir, buckets, keep_alive);
  const std::vector<std::string> create{"context", "create",   "--blob", buckets[1], "--meta",     buckets[2],
                                        "--vmeta", buckets[3], "--wal",  "w",        "--read-log", "rl"};
  ASSERT_EQ(datamon(create, env).exit_code, 0);
  auto r = datamon(create, env);
  EXPECT_EQ(r.exit_code, cli::exit_code(ErrorKind::AlreadyExists));
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
  ASSERT_EQ(datamon({"repo", "create", "--repo", "r", "--description", "d"}, env).exit_code, 0);
  r = datamon({"repo", "create", "--repo", "r", "--description", "d"}, env);
  EXPECT_EQ(r.exit_code, cli::exit_code(ErrorKind::AlreadyExists));
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Stores, CliRefusals, ::testing::Values(local_cli(), s3_cli(), gcs_fake_cli()),
                         [](const auto& info) { return info.param.name; });

// One line on stderr, "datamon: error: ...", and the exit code of `kind` (bin/exit_codes.h).
void expect_one_line_error(const RunResult& r, ErrorKind kind, const std::vector<std::string>& must_name,
                           const std::string& must_not_contain) {
  EXPECT_EQ(r.exit_code, cli::exit_code(kind)) << r.out << r.err;
  const auto pos = r.err.find("datamon: error: ");
  ASSERT_NE(pos, std::string::npos) << r.err;
  const auto line = r.err.substr(pos, r.err.find('\n', pos) - pos);
  EXPECT_EQ(r.err.find("datamon: error: ", pos + 1), std::string::npos) << r.err;
  for (const auto& name : must_name)
    EXPECT_NE(line.find(name), std::string::npos) << "no '" << name << "' in: " << line;
  EXPECT_EQ(r.err.find(must_not_contain), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find(must_not_contain), std::string::npos) << r.out;
}

TEST(CliStoreErrors, WrongS3SecretIsOneLineNamingBucketWithoutTheSecret) {
  TempDir dir;
  const auto bucket = unique_bucket("cfg");
  create_s3_bucket(bucket);
  auto env = common_env(dir);
  env.insert(env.end(), {"DATAMON_GLOBAL_CONFIG=s3://" + bucket, "DATAMON_S3_ENDPOINT=" + s3_endpoint(),
                         std::string("AWS_ACCESS_KEY_ID=") + kS3AccessKey, "AWS_SECRET_ACCESS_KEY=Wr0ngS3cretValue"});
  const auto r = datamon({"repo", "list"}, env);
  expect_one_line_error(r, ErrorKind::PermissionDenied, {"s3://" + bucket, "contexts/flow/context.yaml", "denied"},
                        "Wr0ngS3cretValue");
}

TEST(CliStoreErrors, MissingS3BucketIsOneLineNamingIt) {
  TempDir dir;
  auto env = common_env(dir);
  env.insert(env.end(),
             {"DATAMON_GLOBAL_CONFIG=s3://dmt-no-such-bucket", "DATAMON_S3_ENDPOINT=" + s3_endpoint(),
              std::string("AWS_ACCESS_KEY_ID=") + kS3AccessKey, std::string("AWS_SECRET_ACCESS_KEY=") + kS3SecretKey});
  const auto r = datamon({"repo", "list"}, env);
  expect_one_line_error(r, ErrorKind::NotFound, {"s3://dmt-no-such-bucket"}, kS3SecretKey);
}

TEST(CliStoreErrors, UnreachableEndpointIsOneLineNamingBucketAndObject) {
  TempDir dir;
  auto env = common_env(dir);
  env.insert(env.end(),
             {"DATAMON_GLOBAL_CONFIG=s3://cfg-bucket", "DATAMON_S3_ENDPOINT=http://127.0.0.1:1",
              std::string("AWS_ACCESS_KEY_ID=") + kS3AccessKey, std::string("AWS_SECRET_ACCESS_KEY=") + kS3SecretKey});
  const auto r = datamon({"repo", "list"}, env);
  expect_one_line_error(r, ErrorKind::Unavailable, {"s3://cfg-bucket/contexts/flow/context.yaml"}, kS3SecretKey);
}

TEST(CliStoreErrors, WrongGcsTokenIsOneLineWithoutTheToken) {
  TempDir dir;
  FakeGcsServer gcs;
  gcs.add_bucket("cfg");
  gcs.require_token("the-good-token");
  auto env = common_env(dir);
  env.insert(env.end(), {"DATAMON_GLOBAL_CONFIG=gs://cfg", "DATAMON_GCS_ENDPOINT=" + gcs.url(),
                         "GOOGLE_OAUTH_ACCESS_TOKEN=Wr0ngT0kenValue"});
  const auto r = datamon({"repo", "list"}, env);
  expect_one_line_error(r, ErrorKind::PermissionDenied, {"gs://cfg/contexts/flow/context.yaml", "denied"},
                        "Wr0ngT0kenValue");
}

TEST(CliStoreErrors, MissingGcsBucketIsOneLineNamingIt) {
  TempDir dir;
  FakeGcsServer gcs;  // no buckets at all
  auto env = common_env(dir);
  env.insert(env.end(), {"DATAMON_GLOBAL_CONFIG=gs://no-such-cfg", "DATAMON_GCS_ENDPOINT=" + gcs.url(),
                         "GOOGLE_OAUTH_ACCESS_TOKEN=SomeT0kenValue"});
  const auto r = datamon({"repo", "list"}, env);
  expect_one_line_error(r, ErrorKind::NotFound, {"gs://no-such-cfg"}, "SomeT0kenValue");
}

TEST(CliStoreErrors, UnreachableGcsEndpointIsOneLineNamingBucketAndObject) {
  TempDir dir;
  auto env = common_env(dir);
  env.insert(env.end(), {"DATAMON_GLOBAL_CONFIG=gs://cfg", "DATAMON_GCS_ENDPOINT=http://127.0.0.1:1",
                         "GOOGLE_OAUTH_ACCESS_TOKEN=SomeT0kenValue"});
  const auto r = datamon({"repo", "list"}, env);
  expect_one_line_error(r, ErrorKind::Unavailable, {"gs://cfg/contexts/flow/context.yaml"}, "SomeT0kenValue");
}

// A service account whose grant the token endpoint refuses (a revoked key, say).
TEST(CliStoreErrors, RefusedServiceAccountIsOneLineNamingObjectAndAccountWithoutTheKey) {
  TempDir dir;
  TestKey key;
  FakeTokenEndpoint tokens(key);
  tokens.status = 400;
  write_file(dir / "sa.json", tokens.key_json());
  FakeGcsServer gcs;
  gcs.add_bucket("cfg");
  auto env = common_env(dir);
  env.insert(env.end(), {"DATAMON_GLOBAL_CONFIG=gs://cfg", "DATAMON_GCS_ENDPOINT=" + gcs.url(),
                         "GOOGLE_APPLICATION_CREDENTIALS=" + (dir / "sa.json").string()});
  const auto r = datamon({"repo", "list"}, env);
  expect_one_line_error(r, ErrorKind::PermissionDenied,
                        {"gs://cfg/contexts/flow/context.yaml", FakeTokenEndpoint::kClientEmail, "invalid_grant"},
                        "PRIVATE KEY");
  EXPECT_EQ(gcs.requests(), 0u);  // nothing was sent without a token
}

// The blob bucket named by the context does not exist: the upload stops at the first leaf.
TEST(CliStoreErrors, MissingS3BlobBucketFailsTheUploadNamingItWithoutABundle) {
  TempDir dir;
  const auto cfg = unique_bucket("cfg"), meta = unique_bucket("meta"), vmeta = unique_bucket("vmeta");
  const auto blob = unique_bucket("blob-missing");
  for (const auto& b : {cfg, meta, vmeta}) create_s3_bucket(b);
  auto env = common_env(dir);
  env.insert(env.end(),
             {"DATAMON_GLOBAL_CONFIG=s3://" + cfg, "DATAMON_S3_ENDPOINT=" + s3_endpoint(),
              std::string("AWS_ACCESS_KEY_ID=") + kS3AccessKey, std::string("AWS_SECRET_ACCESS_KEY=") + kS3SecretKey});
  auto r = datamon(
      {"context", "create", "--blob", blob, "--meta", meta, "--vmeta", vmeta, "--wal", "w", "--read-log", "rl"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(datamon({"repo", "create", "--repo", "r", "--description", "d"}, env).exit_code, 0);
  write_file(dir / "src/a", random_bytes(3000, 1));
  r = datamon({"bundle", "upload", "--path", (dir / "src").string(), "--repo", "r", "--message", "m"}, env);
  expect_one_line_error(r, ErrorKind::NotFound, {"s3://" + blob + "/", "does not exist"}, kS3SecretKey);
  r = datamon({"bundle", "list", "--repo", "r"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

// A context, a repo and two files to upload on a fresh FakeGcsServer.
std::vector<std::string> gcs_upload_setup(const TempDir& dir, FakeGcsServer& gcs) {
  for (const char* b : {"cfg", "blob", "meta", "vmeta"}) gcs.add_bucket(b);
  auto env = common_env(dir);
  env.insert(env.end(),
             {"DATAMON_GLOBAL_CONFIG=gs://cfg", "DATAMON_GCS_ENDPOINT=" + gcs.url(), "GOOGLE_OAUTH_ACCESS_TOKEN="});
  auto r = datamon(
      {"context", "create", "--blob", "blob", "--meta", "meta", "--vmeta", "vmeta", "--wal", "w", "--read-log", "rl"},
      env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = datamon({"repo", "create", "--repo", "storm", "--description", "d"}, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  write_file(dir / "src/a", random_bytes(3000, 1));
  write_file(dir / "src/b", random_bytes(5000, 2));
  return env;
}

// Every blob stored, then the storm hits only the bundle descriptor: still no bundle.
TEST(CliStoreErrors, StormOnTheBundleDescriptorLeavesNoBundle) {
  TempDir dir;
  FakeGcsServer gcs;
  const auto env = gcs_upload_setup(dir, gcs);
  gcs.fail_objects_matching("bundle.yaml", 503);
  auto r = datamon({"bundle", "upload", "--path", (dir / "src").string(), "--repo", "storm", "--message", "m"}, env);
  expect_one_line_error(r, ErrorKind::Unavailable, {"gs://meta/", "bundle.yaml", "503", "6 attempts"}, "Authorization");
  gcs.fail_objects_matching("", 503);
  r = datamon({"bundle", "list", "--repo", "storm"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

// A server that asks for an hour's pause is not waited for: the upload fails at once, saying so.
TEST(CliStoreErrors, RetryAfterBeyondTheBudgetFailsTheUploadAtOnceSayingSo) {
  TempDir dir;
  FakeGcsServer gcs;
  const auto env = gcs_upload_setup(dir, gcs);
  gcs.fail_next(100000, 503, "POST", "3600");
  auto r = datamon({"bundle", "upload", "--path", (dir / "src").string(), "--repo", "storm", "--message", "m"}, env);
  expect_one_line_error(r, ErrorKind::Unavailable, {"gs://blob/", "503", "retry after 3600 s"}, "Authorization");
  gcs.fail_next(0, 503);
  r = datamon({"bundle", "list", "--repo", "storm"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

// A 5xx storm longer than the retry budget during an upload: one line naming the object, and
// no bundle visible afterwards.
TEST(CliStoreErrors, ServerErrorStormFailsTheUploadWithoutAPartialBundle) {
  TempDir dir;
  FakeGcsServer gcs;
  for (const char* b : {"cfg", "blob", "meta", "vmeta"}) gcs.add_bucket(b);
  auto env = common_env(dir);
  env.insert(env.end(),
             {"DATAMON_GLOBAL_CONFIG=gs://cfg", "DATAMON_GCS_ENDPOINT=" + gcs.url(), "GOOGLE_OAUTH_ACCESS_TOKEN="});
  auto r = datamon(
      {"context", "create", "--blob", "blob", "--meta", "meta", "--vmeta", "vmeta", "--wal", "w", "--read-log", "rl"},
      env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = datamon({"repo", "create", "--repo", "storm", "--description", "d"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  write_file(dir / "src/a", random_bytes(3000, 1));
  write_file(dir / "src/b", random_bytes(5000, 2));
  // Every write fails (reads still work): the budget is 6 attempts per request.
  gcs.fail_next(100000, 503, "POST");
  r = datamon({"bundle", "upload", "--path", (dir / "src").string(), "--repo", "storm", "--message", "m"}, env);
  expect_one_line_error(r, ErrorKind::Unavailable, {"gs://blob/", "503", "attempts"}, "Authorization");
  gcs.fail_next(0, 503);
  r = datamon({"bundle", "list", "--repo", "storm"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

// `label get/list --with-versions` (Go's VersionedStore): every label.yaml ever written, oldest
// first, printed with the label template, on a vmetadata bucket with versioning enabled.
struct VersionedCli {
  CliBackend backend;
  std::function<void(const std::string& vmeta_bucket, const std::shared_ptr<void>& keep_alive)> enable_versioning;
};

void PrintTo(const VersionedCli& b, std::ostream* os) {
  *os << b.backend.name;
}

class CliLabelVersions : public ::testing::TestWithParam<VersionedCli> {};

// A fresh config, blob, meta and vmeta bucket for one test.
std::vector<std::string> fresh_buckets() {
  return {unique_bucket("cfg"), unique_bucket("blob"), unique_bucket("meta"), unique_bucket("vmeta")};
}

// A context on the buckets (config, blob, meta, vmeta) and repo "vr" with `count` bundles of one
// file; their ids, fewer when a step failed (the failure is reported).
std::vector<std::string> make_repo_with_bundles(const TempDir& dir, const std::vector<std::string>& env,
                                                const std::vector<std::string>& buckets, int count) {
  std::vector<std::string> ids;
  auto r = datamon({"context", "create", "--blob", buckets[1], "--meta", buckets[2], "--vmeta", buckets[3], "--wal",
                    "w", "--read-log", "rl"},
                   env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = datamon({"repo", "create", "--repo", "vr", "--description", "d"}, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  write_file(dir / "src/f", "x");
  for (int i = 0; i < count; ++i) {
    r = datamon({"bundle", "upload", "--path", (dir / "src").string(), "--repo", "vr", "--message", "m"}, env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.exit_code == 0) ids.push_back(bundle_id_of(r.out));
  }
  return ids;
}

TEST_P(CliLabelVersions, GetAndListPrintEveryVersionOldestFirst) {
  TempDir dir;
  const auto buckets = fresh_buckets();
  std::shared_ptr<void> keep_alive;
  const auto env = GetParam().backend.env(dir, buckets, keep_alive);
  GetParam().enable_versioning(buckets[3], keep_alive);
  auto dm = [&](std::vector<std::string> args) { return datamon(args, env); };
  const auto ids = make_repo_with_bundles(dir, env, buckets, 2);
  ASSERT_EQ(ids.size(), 2u);
  // What `label get` prints after each `label set` is what --with-versions must print again.
  auto set_and_get = [&](const std::string& label, const std::string& id) {
    EXPECT_EQ(dm({"label", "set", "--repo", "vr", "--label", label, "--bundle", id}).exit_code, 0);
    const auto r = dm({"label", "get", "--repo", "vr", "--label", label});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(lines(r.out), 1u) << r.out;
    return r.out;
  };
  const auto a1 = set_and_get("a", ids[0]);
  const auto a2 = set_and_get("a", ids[1]);
  const auto a3 = set_and_get("a", ids[0]);
  const auto b1 = set_and_get("b", ids[1]);

  auto r = dm({"label", "get", "--repo", "vr", "--label", "a", "--with-versions"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, a1 + a2 + a3);
  r = dm({"label", "list", "--repo", "vr", "--with-versions"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, a1 + a2 + a3 + b1);
  r = dm({"label", "list", "--repo", "vr", "--with-versions", "--prefix", "b", "--format", "{{.BundleID}}"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ids[1] + "\n");
  // Without the flag, only the current versions.
  r = dm({"label", "list", "--repo", "vr"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, a3 + b1);

  r = dm({"label", "get", "--repo", "vr", "--label", "nope", "--with-versions"});
  EXPECT_EQ(r.exit_code, cli::exit_code(ErrorKind::NotFound)) << r.err;
  EXPECT_NE(r.err.find("didn't find label \"nope\""), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Stores, CliLabelVersions,
    ::testing::Values(VersionedCli{s3_cli(), [](const std::string& b, const auto&) { enable_s3_versioning(b); }},
                      VersionedCli{gcs_fake_cli(),
                                   [](const std::string& b, const std::shared_ptr<void>& keep) {
                                     std::static_pointer_cast<FakeGcsServer>(keep)->enable_versioning(b);
                                   }}),
    [](const auto& info) { return info.param.backend.name; });

// A vmetadata store that keeps no versions: a local folder refuses both commands, a bucket with
// versioning off refuses `label list` (Go checks the bucket there) and, as Go's GCS driver, lists
// the one current version for `label get`. Go prints nothing and exits 0 when `label get` meets
// a local folder; here it is an error naming the store, exit 1.
TEST_P(CliRefusals, WithVersionsOnAStoreWithoutVersioningIsRefusedNamingIt) {
  TempDir dir;
  const auto buckets = fresh_buckets();
  std::shared_ptr<void> keep_alive;
  const auto env = GetParam().env(dir, buckets, keep_alive);
  auto dm = [&](std::vector<std::string> args) { return datamon(args, env); };
  const auto ids = make_repo_with_bundles(dir, env, buckets, 1);
  ASSERT_EQ(ids.size(), 1u);
  ASSERT_EQ(dm({"label", "set", "--repo", "vr", "--label", "a", "--bundle", ids[0]}).exit_code, 0);
  ASSERT_EQ(dm({"label", "set", "--repo", "vr", "--label", "a", "--bundle", ids[0]}).exit_code, 0);

  auto r = dm({"label", "list", "--repo", "vr", "--with-versions"});
  expect_one_line_error(r, ErrorKind::InvalidArgument,
                        {"versioned store is required", buckets[3], "does not enable versioning"}, kS3SecretKey);
  EXPECT_TRUE(r.out.empty()) << r.out;
  const auto current = dm({"label", "get", "--repo", "vr", "--label", "a"});
  r = dm({"label", "get", "--repo", "vr", "--label", "a", "--with-versions"});
  if (GetParam().name == "local") {
    expect_one_line_error(r, ErrorKind::InvalidArgument, {"versioned store is required", "file://"}, kS3SecretKey);
  } else {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, current.out);
  }
}

TEST(CliLabelVersionsHelp, IsGos) {
  for (const char* command : {"get", "list"}) {
    const auto r = datamon({"label", command, "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("--with-versions"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("List all previous versions of labels"), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace dm::test
