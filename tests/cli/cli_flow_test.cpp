// The datamon binary end to end on a local (file://) context: the commands and flags of the Go
// CLI, config precedence, and one-line errors with a non-zero exit for every bad input.
#include <gtest/gtest.h>

#include <regex>

#include "common/model/paths.h"
#include "support/cli_fixture.h"
#include "support/test_support.h"

namespace dm {
namespace {

namespace fs = std::filesystem;

class CliFlow : public test::CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    create_context();
    create_repo("demo", "demo repo");
  }

  // A failing command: non-zero exit, one line on stderr naming `needle`.
  void fails(const std::vector<std::string>& args, const std::string& needle) {
    auto r = dm(args);
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    const auto error_lines = std::count(r.err.begin(), r.err.end(), '\n');
    EXPECT_LE(error_lines, 1) << r.err;
  }
  std::string upload(const fs::path& src, const std::string& label = "") {
    std::vector<std::string> args{"bundle", "upload", "--path", src.string(), "--repo", "demo", "--message", "msg"};
    if (!label.empty()) args.insert(args.end(), {"--label", label});
    const auto out = ok(args);
    std::smatch m;
    const std::regex re("Uploaded bundle id:([0-9A-Za-z]{27})");
    EXPECT_TRUE(std::regex_search(out, m, re)) << out;
    return m.size() > 1 ? m[1].str() : "";
  }
};

TEST_F(CliFlow, UploadListDownloadLabels) {
  const auto src = dir_ / "src";
  test::write_file(src / "hello.txt", "hello");
  test::write_file(src / "sub dir/data.bin", test::random_bytes(3 * 1024 * 1024, 1));
  const auto id = upload(src, "v1");
  EXPECT_NE(ok({"bundle", "list", "--repo", "demo"}).find(id), std::string::npos);
  const auto files = ok({"bundle", "list", "files", "--repo", "demo", "--bundle", id});
  EXPECT_NE(files.find("name:hello.txt, size:5, hash:45262641"), std::string::npos) << files;
  EXPECT_NE(ok({"label", "list", "--repo", "demo"}).find("v1 , " + id), std::string::npos);
  EXPECT_NE(ok({"label", "get", "--repo", "demo", "--label", "v1"}).find(id), std::string::npos);
  EXPECT_NE(ok({"repo", "list"}).find("demo , demo repo , Test User , test@example.com"), std::string::npos);

  ok({"bundle", "download", "--repo", "demo", "--label", "v1", "--destination", (dir_ / "by-label").string()});
  EXPECT_EQ(test::tree_contents(dir_ / "by-label", {".datamon"}), test::tree_contents(src));
  ok({"bundle", "download", "--repo", "demo", "--bundle", id, "--destination", (dir_ / "by-id").string()});
  EXPECT_EQ(test::tree_contents(dir_ / "by-id", {".datamon"}), test::tree_contents(src));
  // No --bundle and no --label: the latest.
  test::write_file(src / "second", "2");
  test::wait_for_next_second();  // latest is the greatest id
  const auto id2 = upload(src);
  const auto out = ok({"bundle", "download", "--repo", "demo", "--destination", (dir_ / "latest").string()});
  EXPECT_NE(out.find("Using bundle: " + id2), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(dir_ / "latest" / "second"));
  ok({"label", "set", "--repo", "demo", "--label", "v1", "--bundle", id2});
  EXPECT_NE(ok({"label", "get", "--repo", "demo", "--label", "v1"}).find(id2), std::string::npos);
  // The contributor comes from the config.
  const auto bundle_yaml = test::read_file(dir_ / "store/m" / model::bundle_path("demo", id2));
  EXPECT_NE(bundle_yaml.find("- name: Test User\n  email: test@example.com\n"), std::string::npos) << bundle_yaml;
}

TEST_F(CliFlow, ConfigPrecedenceFlagOverEnvOverFile) {
  const auto other = dir_ / "other";
  test::write_file(dir_ / "datamon.yaml", "config: file://" + (dir_ / "nowhere").string() + "\ncontext: nope\n");
  auto env = env_;
  for (auto& e : env) {
    if (e.rfind("DATAMON_CONFIG=", 0) == 0) e = "DATAMON_CONFIG=" + (dir_ / "datamon.yaml").string();
    if (e.rfind("DATAMON_GLOBAL_CONFIG=", 0) == 0) e = "DATAMON_GLOBAL_CONFIG=";
  }
  // File only: context 'nope' does not exist.
  auto r = test::datamon({"repo", "list"}, env);
  EXPECT_NE(r.exit_code, 0);
  // Env beats file.
  env.push_back("DATAMON_GLOBAL_CONFIG=file://" + (dir_ / "store/config").string());
  r = test::datamon({"repo", "list"}, env);
  EXPECT_NE(r.err.find("'nope'"), std::string::npos) << r.err;
  env.push_back("DATAMON_CONTEXT=dev");
  r = test::datamon({"repo", "list"}, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Flag beats env.
  r = test::datamon({"--context", "flagctx", "repo", "list"}, env);
  EXPECT_NE(r.err.find("'flagctx'"), std::string::npos) << r.err;
}

TEST_F(CliFlow, BadInputGivesOneLineErrorsNamingTheThing) {
  const auto src = dir_ / "src";
  test::write_file(src / "a", "a");
  const auto id = upload(src, "v1");
  fails({"bundle", "upload", "--path", (dir_ / "missing").string(), "--repo", "demo", "--message", "m"}, "missing");
  fails({"bundle", "upload", "--path", src.string(), "--repo", "nope", "--message", "m"}, "'nope'");
  fails({"bundle", "download", "--repo", "demo", "--label", "nolabel", "--destination", (dir_ / "d1").string()},
        "'nolabel'");
  fails({"bundle", "download", "--repo", "demo", "--bundle", "nobundle", "--destination", (dir_ / "d2").string()},
        "'nobundle'");
  fails({"bundle", "download", "--repo", "demo", "--bundle", id, "--destination", src.string()}, src.string());
  fails({"repo", "create", "--repo", "demo", "--description", "again"}, "'demo' already exists");
  fails({"repo", "create", "--repo", "bad/name", "--description", "x"}, "'bad/name'");
  fails({"context", "create", "--blob", "b", "--meta", "m", "--vmeta", "v", "--wal", "w", "--read-log", "r"},
        "'dev' already exists");
  fails({"label", "set", "--repo", "demo", "--label", "x", "--bundle", "nobundle"}, "'nobundle'");

  // A garbled bundle.yaml and index file are named.
  const auto meta = dir_ / "store/m";
  const auto bundle_yaml = meta / model::bundle_path("demo", id);
  const auto good = test::read_file(bundle_yaml);
  test::write_file(bundle_yaml, "leafSize: [oops\n");
  fails({"bundle", "download", "--repo", "demo", "--bundle", id, "--destination", (dir_ / "d3").string()},
        "bundle.yaml");
  test::write_file(bundle_yaml, good);
  test::write_file(meta / model::index_path("demo", id, 0), "BundleEntries: 7\n");
  fails({"bundle", "download", "--repo", "demo", "--bundle", id, "--destination", (dir_ / "d4").string()},
        "bundle-files-0.yaml");
  fs::remove(meta / model::index_path("demo", id, 0));
  fails({"bundle", "download", "--repo", "demo", "--bundle", id, "--destination", (dir_ / "d5").string()},
        "bundle-files-0.yaml");
  // A missing config bucket setting says how to set it.
  auto env = env_;
  for (auto& e : env) {
    if (e.rfind("DATAMON_GLOBAL_CONFIG=", 0) == 0) e = "DATAMON_GLOBAL_CONFIG=";
  }
  auto r = test::datamon({"repo", "list"}, env);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("DATAMON_GLOBAL_CONFIG"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dm
