// What each command prints, byte for byte, against a file:// store holding known objects: the
// expected text is what the Go CLI's default template (cmd/datamon/cmd/*.go) renders for the
// same objects, with time.Time printed by its String() method. Also Go's exit codes (2 when a
// get finds nothing), silent successes, --format, unknown commands and --loglevel.
//
// A timestamp written with an offset that is not the local zone prints as "-0700 -0700" in Go
// (time.Parse gives a fixed zone with no name); the tests run with TZ=UTC so that holds.
#include <gtest/gtest.h>

#include "common/model/documents.h"
#include "common/model/paths.h"
#include "support/cli_fixture.h"
#include "support/test_support.h"

namespace dm {
namespace {

namespace fs = std::filesystem;

constexpr const char* kOld = "1INzQ5TV4vAAfU2PbRFgPfnzEwR";     // a ksuid of 2019-03-12
constexpr const char* kNew = "1INzQ5TV4vAAfU2PbRFgPfnzEwS";     // greater: the latest
constexpr const char* kAbsent = "1INzQ5TV4vAAfU2PbRFgPfnzEwT";  // never written
const std::string kHash(128, 'a');

model::Timestamp at(const char* rfc3339) {
  return *model::Timestamp::parse(rfc3339);
}

class CliOutput : public test::CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    env_.push_back("TZ=UTC");
    model::ContextDescriptor c{"dev", "w", "r", "b", "m", "v", 1};
    test::write_file(dir_ / "store/config" / model::context_path("dev"), model::to_yaml(c));
    const model::Contributor ann{"Ann", "ann@example.com"};
    model::RepoDescriptor repo{"fixed", "fixed repo", at("2019-03-12T22:10:24.159704-07:00"), ann};
    test::write_file(meta() / model::repo_path("fixed"), model::to_yaml(repo));
    model::BundleDescriptor old_bundle;
    old_bundle.leaf_size = 2097152;
    old_bundle.id = kOld;
    old_bundle.message = "first bundle";
    old_bundle.timestamp = at("2019-03-12T22:10:24.159704-07:00");
    old_bundle.contributors = {ann};
    old_bundle.count = 1;
    old_bundle.version = 2;
    old_bundle.deduplication = "blake2b";
    auto new_bundle = old_bundle;
    new_bundle.id = kNew;
    new_bundle.message = "second, with \"quotes\"";
    new_bundle.timestamp = at("2019-03-13T05:10:24Z");
    new_bundle.parents = {kOld};
    for (const auto& b : {old_bundle, new_bundle}) {
      test::write_file(meta() / model::bundle_path("fixed", b.id), model::to_yaml(b));
    }
    model::BundleEntry a{kHash, "dir/a.txt", 0644, 5, std::nullopt};
    model::BundleEntry x{std::string(128, 'b'), "x.bin", 0755, 1048576, std::nullopt};
    test::write_file(meta() / model::index_path("fixed", kOld, 0), model::to_yaml(std::vector{a}));
    test::write_file(meta() / model::index_path("fixed", kNew, 0), model::to_yaml(std::vector{a, x}));
    model::LabelDescriptor v1{"v1", kOld, at("2019-03-13T05:10:24Z"), {ann}};
    test::write_file(dir_ / "store/v" / model::label_path("fixed", "v1"), model::to_yaml(v1));
  }

  fs::path meta() const { return dir_ / "store/m"; }
  // Exit 2 (ENOENT) with Go's "didn't find ..." message; `out` is what Go printed before.
  void not_found(const std::vector<std::string>& args, const std::string& message, const std::string& out = "") {
    auto r = dm(args);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(r.out, out);
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  }
};

const std::string kOldLine = std::string(kOld) + " , 2019-03-12 22:10:24.159704 -0700 -0700 , first bundle\n";
const std::string kNewLine = std::string(kNew) + " , 2019-03-13 05:10:24 +0000 UTC , second, with \"quotes\"\n";
const std::string kFileA = "name:dir/a.txt, size:5, hash:" + std::string(128, 'a') + "\n";
const std::string kFileX = "name:x.bin, size:1048576, hash:" + std::string(128, 'b') + "\n";

TEST_F(CliOutput, BundleListIsGoDefaultTemplate) {
  EXPECT_EQ(ok({"bundle", "list", "--repo", "fixed"}), kOldLine + kNewLine);
  EXPECT_EQ(
      ok({"bundle", "list", "--repo", "fixed", "--format", "{{.ID}} {{len .Parents}} {{.BundleEntriesFileCount}}"}),
      std::string(kOld) + " 0 1\n" + kNew + " 1 1\n");
}

TEST_F(CliOutput, BundleListFilesByIdLabelAndLatest) {
  EXPECT_EQ(ok({"bundle", "list", "files", "--repo", "fixed", "--bundle", kOld}),
            "Using bundle: " + std::string(kOld) + "\n" + kFileA);
  EXPECT_EQ(ok({"bundle", "list", "files", "--repo", "fixed", "--label", "v1"}),
            "Using bundle: " + std::string(kOld) + "\n" + kFileA);
  EXPECT_EQ(ok({"bundle", "list", "files", "--repo", "fixed"}),
            "Using bundle: " + std::string(kNew) + "\n" + kFileA + kFileX);
  // --format replaces the line and drops the "Using bundle" heading, as Go does.
  EXPECT_EQ(ok({"bundle", "list", "files", "--repo", "fixed", "--format",
                "{{.NameWithPath}} {{.FileMode}} {{printf \"%o\" .FileMode}}"}),
            "dir/a.txt -rw-r--r-- 644\nx.bin -rwxr-xr-x 755\n");
}

TEST_F(CliOutput, BundleGet) {
  EXPECT_EQ(ok({"bundle", "get", "--repo", "fixed", "--bundle", kOld}),
            "Using bundle: " + std::string(kOld) + "\n" + kOldLine);
  EXPECT_EQ(ok({"bundle", "get", "--repo", "fixed"}), "Using bundle: " + std::string(kNew) + "\n" + kNewLine);
  EXPECT_EQ(
      ok({"bundle", "get", "--repo", "fixed", "--label", "v1", "--format",
          "{{.ID}} {{.LeafSize}} {{.Version}} {{.Deduplication}} {{(index .Contributors 0).Email}} {{.Contributors}}"}),
      std::string(kOld) + " 2097152 2 blake2b ann@example.com [{Ann ann@example.com {}}]\n");
  EXPECT_EQ(
      ok({"bundle", "get", "--repo", "fixed", "--bundle", kNew, "--format", "{{json .}}"}),
      R"({"leafSize":2097152,"id":")" + std::string(kNew) + R"(","message":"second, with \"quotes\"","parents":[")" +
          kOld +
          R"("],"timestamp":"2019-03-13T05:10:24Z","contributors":[{"name":"Ann","email":"ann@example.com"}],"count":1,"version":2,"deduplication":"blake2b"})"
          "\n");
  // Go prints the "Using bundle" line before it looks the bundle up.
  not_found({"bundle", "get", "--repo", "fixed", "--bundle", kAbsent},
            "didn't find bundle \"" + std::string(kAbsent) + "\"", "Using bundle: " + std::string(kAbsent) + "\n");
  not_found({"bundle", "get", "--repo", "fixed", "--label", "nolabel"}, "didn't find label \"nolabel\"");
}

TEST_F(CliOutput, RepoGetAndList) {
  const std::string line = "fixed , fixed repo , Ann , ann@example.com , 2019-03-12 22:10:24.159704 -0700 -0700\n";
  EXPECT_EQ(ok({"repo", "get", "--repo", "fixed"}), line);
  EXPECT_EQ(ok({"repo", "list"}), line);
  EXPECT_EQ(ok({"repo", "list", "--format", "{{.Name}}|{{.Contributor}}|{{.Timestamp.IsZero}}"}),
            "fixed|{Ann ann@example.com {}}|false\n");
  not_found({"repo", "get", "--repo", "missing"}, "didn't find repo \"missing\"");
}

TEST_F(CliOutput, LabelGetAndList) {
  const std::string line = "v1 , " + std::string(kOld) + " , 2019-03-13 05:10:24 +0000 UTC\n";
  EXPECT_EQ(ok({"label", "get", "--repo", "fixed", "--label", "v1"}), line);
  EXPECT_EQ(ok({"label", "list", "--repo", "fixed"}), line);
  EXPECT_EQ(ok({"label", "get", "--repo", "fixed", "--label", "v1", "--format", "{{json .}}"}),
            R"({"name":"v1","id":")" + std::string(kOld) +
                R"(","timestamp":"2019-03-13T05:10:24Z","contributors":[{"name":"Ann","email":"ann@example.com"}]})"
                "\n");
  not_found({"label", "get", "--repo", "fixed", "--label", "nolabel"}, "didn't find label \"nolabel\"");
}

TEST_F(CliOutput, ContextGetAndList) {
  EXPECT_EQ(ok({"context", "get"}),
            "Model Version: 1, Name: dev, WAL: w, ReadLog: r, Blob: b, Metadata: m, Version Metadata: v\n");
  EXPECT_EQ(ok({"context", "get", "--format", "{{.Blob}}"}), "b\n");
  EXPECT_EQ(ok({"context", "list"}), "[dev]\n");
  EXPECT_EQ(ok({"--context", "other", "context", "create", "--blob", "b2", "--meta", "m2", "--vmeta", "v2", "--wal",
                "w2", "--read-log", "r2"}),
            "");
  EXPECT_EQ(ok({"context", "list"}), "[dev other]\n");
  not_found({"--context", "nope", "context", "get"}, "didn't find context \"nope\"");
}

// The project version, as the root CMakeLists.txt declares it.
std::string project_version() {
  const auto cmake = test::read_file(fs::path(DM_SOURCE_DIR) / "CMakeLists.txt");
  const auto at = cmake.find(" VERSION ", cmake.find("project("));
  return cmake.substr(at + 9, cmake.find_first_of(" )", at + 9) - (at + 9));
}

TEST_F(CliOutput, VersionAndVersionFlag) {
  const std::string expected = "Version: " + project_version() + "\nBuildDate: \nCommit: \nWorking tree: clean\n";
  EXPECT_EQ(ok({"version"}), expected);
  EXPECT_EQ(ok({"--version"}), expected);
  EXPECT_EQ(ok({"version", "--format", "{{.Version}}"}), project_version() + "\n");
}

TEST_F(CliOutput, SilentSuccessesAndUploadTemplate) {
  EXPECT_EQ(ok({"repo", "create", "--repo", "demo", "--description", "d"}), "");
  test::write_file(dir_ / "src/a", "a");
  const auto out = ok({"bundle", "upload", "--path", (dir_ / "src").string(), "--repo", "demo", "--message", "m",
                       "--label", "l1", "--format", "{{.BundleID}}|{{.Label}}"});
  ASSERT_EQ(out.size(), 27 + 4) << out;
  const auto id = out.substr(0, 27);
  EXPECT_EQ(out.substr(27), "|l1\n");
  EXPECT_EQ(ok({"label", "set", "--repo", "demo", "--label", "l2", "--bundle", id}), "");
  const auto plain = ok({"bundle", "upload", "--path", (dir_ / "src").string(), "--repo", "demo", "--message", "m"});
  EXPECT_EQ(plain.rfind("Uploaded bundle id:", 0), 0U) << plain;
  EXPECT_EQ(plain.size(), std::string("Uploaded bundle id:").size() + 27 + 1) << plain;
}

TEST_F(CliOutput, BadFormatNamesTheTemplateAndPosition) {
  auto r = dm({"bundle", "list", "--repo", "fixed", "--format", "{{.ID}}\n{{nope .}}"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("template: list line:2: function \"nope\" not defined"), std::string::npos) << r.err;
  r = dm({"repo", "get", "--repo", "fixed", "--format", "{{.Nope}}"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("can't evaluate field Nope in type model.RepoDescriptor"), std::string::npos) << r.err;
}

TEST_F(CliOutput, UnknownCommandIsNamed) {
  auto r = dm({"bogus"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown command \"bogus\" for \"datamon\""), std::string::npos) << r.err;
  r = dm({"--context", "dev", "bundle", "bogus", "--repo", "x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown command \"bogus\" for \"datamon bundle\""), std::string::npos) << r.err;
}

TEST_F(CliOutput, LogLevels) {
  EXPECT_EQ(ok({"--loglevel", "none", "repo", "get", "--repo", "fixed"}).substr(0, 5), "fixed");
  auto r = dm({"--loglevel", "loud", "repo", "list"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("unrecognized level: 'loud'"), std::string::npos) << r.err;
  // The config file's loglevel key is read: a bad one is refused, naming it.
  test::write_file(dir_ / "none.yaml", "loglevel: shouty\n");
  r = dm({"repo", "list"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("'shouty'"), std::string::npos) << r.err;
  test::write_file(dir_ / "none.yaml", "loglevel: none\n");
  ok({"repo", "list"});
}

// The same settings from each file type viper reads, found where viper looks ($HOME/.datamon2).
TEST_F(CliOutput, YamlJsonAndTomlConfigsGiveTheSameSettings) {
  const std::string bucket = "file://" + (dir_ / "store/config").string();
  auto env = env_;
  for (auto& e : env) {
    if (e.rfind("DATAMON_CONFIG=", 0) == 0 || e.rfind("DATAMON_GLOBAL_CONFIG=", 0) == 0) e = "DATAMON_UNUSED=";
  }
  const auto home = dir_ / ".datamon2";
  const std::vector<std::pair<std::string, std::string>> files{
      {"datamon.yaml", "config: " + bucket + "\ncontext: dev\nloglevel: none\n"},
      {"datamon.yml", "config: " + bucket + "\ncontext: dev\nloglevel: none\n"},
      {"datamon.json", "{\"config\": \"" + bucket + "\", \"context\": \"dev\", \"loglevel\": \"none\"}\n"},
      {"datamon.toml",
       "config = \"" + bucket + "\"\ncontext = \"dev\"\nloglevel = \"none\"\n[metrics]\nenabled = false\n"}};
  for (const auto& [name, text] : files) {
    fs::remove_all(home);
    test::write_file(home / name, text);
    const auto r = test::datamon({"context", "get", "--format", "{{.Name}} {{.Blob}}"}, env);
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
    EXPECT_EQ(r.out, "dev b\n") << name;
  }
  // viper's order within a folder: json before toml before yaml.
  test::write_file(home / "datamon.json", "{\"context\": \"from-json\", \"config\": \"" + bucket + "\"}");
  const auto r = test::datamon({"context", "get"}, env);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("\"from-json\""), std::string::npos) << r.err;
  // A TOML syntax error names the file.
  fs::remove_all(home);
  test::write_file(home / "datamon.toml", "config = \n");
  const auto bad = test::datamon({"context", "get"}, env);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("datamon.toml"), std::string::npos) << bad.err;
}

TEST_F(CliOutput, ConfigSetWritesTheFileGoWrites) {
  auto env = env_;
  for (auto& e : env) {
    if (e.rfind("DATAMON_CONFIG=", 0) == 0) e = "DATAMON_UNUSED=";
  }
  const auto r = test::datamon({"--context", "dev", "config", "set"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto file = dir_ / ".datamon2/datamon.yaml";
  EXPECT_EQ(r.out, "config file created in " + file.string() + "\n");
  EXPECT_EQ(test::read_file(file), "credential: \"\"\nemail: \"\"\nname: \"\"\nconfig: file://" +
                                       (dir_ / "store/config").string() + "\ncontext: dev\n");
  // The file it wrote is read back: with no DATAMON_GLOBAL_CONFIG, the bucket comes from it.
  for (auto& e : env) {
    if (e.rfind("DATAMON_GLOBAL_CONFIG=", 0) == 0) e = "DATAMON_UNUSED=";
  }
  EXPECT_EQ(test::datamon({"context", "get", "--format", "{{.Name}}"}, env).out, "dev\n");
}

}  // namespace
}  // namespace dm
