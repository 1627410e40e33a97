// `bundle diff`, `bundle update`, `bundle download file` and `repo delete` end to end on a
// file:// context, with Go's output formats.
#include <gtest/gtest.h>

#include <regex>

#include "support/cli_fixture.h"
#include "support/test_support.h"

namespace dm {
namespace {

namespace fs = std::filesystem;

class CliSync : public test::CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    create_context();
    create_repo("demo", "demo repo");
  }

  std::string upload(const fs::path& src, const std::string& repo = "demo") { return upload_id(src, repo); }
};

TEST_F(CliSync, DiffThenUpdateMakeTheFolderEqual) {
  const auto src = dir_ / "src";
  test::write_file(src / "keep", "keep");
  test::write_file(src / "change", "v1");
  const auto first = upload(src);
  const auto local = dir_ / "local";
  ok({"bundle", "download", "--repo", "demo", "--bundle", first, "--destination", local.string()});
  test::write_file(src / "change", "v2 longer");
  test::write_file(src / "add", "new");
  test::wait_for_next_second();  // `diff` and `update` below take the latest bundle
  const auto second = upload(src);
  test::write_file(local / "extra", "x");

  const auto diff = ok({"bundle", "diff", "--repo", "demo", "--destination", local.string()});
  // Go's template: Type , Name , (Additional) Size , Hash , (Existing) Size , Hash
  const std::regex lines("Using bundle: " + second +
                         "\nA , add , 3 , [0-9a-f]{128} , 0 , \n"
                         "U , change , 9 , [0-9a-f]{128} , 2 , [0-9a-f]{128}\n"
                         "D , extra , 0 ,  , 1 , [0-9a-f]{128}\n");
  EXPECT_TRUE(std::regex_match(diff, lines)) << diff;
  EXPECT_EQ(ok({"bundle", "diff", "--repo", "demo", "--destination", local.string(), "--format", "{{.Type}}{{.Name}}"}),
            "Aadd\nUchange\nDextra\n");

  EXPECT_EQ(ok({"bundle", "update", "--repo", "demo", "--destination", local.string()}),
            "Using bundle: " + second + "\n");
  EXPECT_EQ(test::tree_contents(local, {".datamon"}), test::tree_contents(src));
  auto r = dm({"bundle", "diff", "--repo", "demo", "--destination", local.string()});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "Using bundle: " + second + "\n");
  EXPECT_NE(r.err.find("empty diff"), std::string::npos) << r.err;
}

TEST_F(CliSync, DownloadOneFile) {
  const auto src = dir_ / "src";
  test::write_file(src / "a/one", "one");
  test::write_file(src / "two", "two");
  const auto id = upload(src);
  const auto out = dir_ / "out";
  ok({"bundle", "download", "file", "--repo", "demo", "--bundle", id, "--file", "a/one", "--destination",
      out.string()});
  EXPECT_EQ(test::tree_contents(out, {".datamon"}),
            (std::vector<std::pair<std::string, std::string>>{{"a/one", "one"}}));
  auto r = dm({"bundle", "download", "file", "--repo", "demo", "--file", "nope", "--destination", out.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("didn't find file 'nope' in bundle '" + id + "'"), std::string::npos) << r.err;
}

TEST_F(CliSync, RepoDeleteAsksFirstAndKeepsSharedBlobs) {
  ok({"repo", "create", "--repo", "other", "--description", "o"});
  const auto src = dir_ / "src";
  test::write_file(src / "data", test::random_bytes(100000, 9));
  upload(src, "demo");
  const auto kept = upload(src, "other");
  // Without --force-yes and no "y" on stdin: refused, nothing deleted.
  auto r = dm({"repo", "delete", "--repo", "demo"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("Are you sure you want to delete from repo medata for \"demo\" [y|n]"), std::string::npos);
  EXPECT_NE(r.err.find("user aborted"), std::string::npos) << r.err;
  ok({"repo", "get", "--repo", "demo"});

  EXPECT_EQ(ok({"repo", "delete", "--repo", "demo", "--force-yes"}), "");
  EXPECT_EQ(dm({"repo", "get", "--repo", "demo"}).exit_code, 2);
  ok({"bundle", "download", "--repo", "other", "--bundle", kept, "--destination", (dir_ / "out").string()});
  EXPECT_EQ(test::tree_contents(dir_ / "out", {".datamon"}), test::tree_contents(src));
}

TEST_F(CliSync, RepoDeleteFilesRemovesEntriesFromEveryBundle) {
  const auto src = dir_ / "src";
  test::write_file(src / "a", "a");
  test::write_file(src / "sub/b", "b");
  test::write_file(src / "c", "c1");
  const auto first = upload(src);
  test::write_file(src / "c", "c2");
  const auto second = upload(src);
  const auto names = [&](const std::string& id) {
    return ok({"bundle", "list", "files", "--repo", "demo", "--bundle", id, "--format", "{{.NameWithPath}}"});
  };
  ASSERT_EQ(names(first), "a\nc\nsub/b\n");

  auto r = dm({"repo", "delete", "files", "--repo", "demo", "--file", "sub/b"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("Are you sure you want to delete repo files from repo medata for \"demo\" [y|n]"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(names(first), "a\nc\nsub/b\n");
  r = dm({"repo", "delete", "files", "--repo", "demo", "--force-yes"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("must specify at least one file or file list"), std::string::npos) << r.err;

  EXPECT_EQ(ok({"repo", "delete", "files", "--repo", "demo", "--file", "sub/b", "--force-yes"}), "");
  EXPECT_EQ(names(first), "a\nc\n");
  EXPECT_EQ(names(second), "a\nc\n");
  const auto out = dir_ / "out";
  ok({"bundle", "download", "--repo", "demo", "--bundle", first, "--destination", out.string()});
  EXPECT_EQ(test::tree_contents(out, {".datamon"}),
            (std::vector<std::pair<std::string, std::string>>{{"a", "a"}, {"c", "c1"}}));

  // A list naming what remains (and a name no bundle has) empties both bundles.
  test::write_file(dir_ / "list.txt", "a\nc\nnever-uploaded\n");
  EXPECT_EQ(ok({"repo", "delete", "files", "--repo", "demo", "--files", (dir_ / "list.txt").string(), "--force-yes"}),
            "");
  EXPECT_EQ(names(first), "");
  EXPECT_EQ(names(second), "");
  EXPECT_NE(dm({"repo", "delete", "files", "--repo", "nope", "--file", "a", "--force-yes"}).exit_code, 0);
}

TEST_F(CliSync, RepoGetAndListWithSize) {
  const auto src = dir_ / "src";
  test::write_file(src / "small", "abc");
  test::write_file(src / "big", test::random_bytes(12345, 4));
  const auto first = upload(src);
  fs::remove_all(src);
  test::write_file(src / "five", std::string(5000, 'x'));
  test::wait_for_next_second();  // bundles list in id order
  const auto second = upload(src);
  const std::string time = "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ \\+0000 UTC";
  const std::string sizes = first + " , m, " + time + ", 12348 \\(12.35kB\\)\n" + second + " , m, " + time +
                            ", 5000 \\(5kB\\)\n\nGrand total for repo \"demo\": 17348 \\(17.35kB\\)\n";
  const auto got = ok({"repo", "get", "--repo", "demo", "--with-size"});
  EXPECT_TRUE(std::regex_match(got, std::regex("demo , demo repo , Test User , test@example.com , " + time +
                                               "\nAll bundles with their total size:\n" + sizes)))
      << got;
  ok({"repo", "create", "--repo", "empty", "--description", "nothing"});
  const auto listed = ok({"repo", "list", "--with-size"});
  EXPECT_TRUE(std::regex_match(listed, std::regex("demo , demo repo , Test User , test@example.com , " + time + "\n" +
                                                  sizes + "empty , nothing , Test User , test@example.com , " + time +
                                                  "\n\nGrand total for repo \"empty\": 0 \\(0B\\)\n")))
      << listed;
  // --format applies to the bundle lines too, as in Go.
  const std::string bundle_type = "struct { model.BundleDescriptor; Size uint64; HumanSize string }";
  EXPECT_EQ(ok({"repo", "get", "--repo", "demo", "--with-size", "--format", "{{printf \"%T\" .}}"}),
            "model.RepoDescriptor\nAll bundles with their total size:\n" + bundle_type + "\n" + bundle_type +
                "\n\nGrand total for repo \"demo\": 17348 (17.35kB)\n");
}

TEST_F(CliSync, UploadAFileListSkippingWhatCannotBeRead) {
  const auto src = dir_ / "src";
  test::write_file(src / "a", "a");
  test::write_file(src / "sub/b", "b");
  test::write_file(src / "not-listed", "n");
  test::write_file(dir_ / "list.txt", "a\nsub/b\nmissing\n");
  std::vector<std::string> args{"bundle",   "upload",       "--path", src.string(), "--repo",
                                "demo",     "--message",    "m",      "--files",    (dir_ / "list.txt").string(),
                                "--format", "{{.BundleID}}"};
  auto r = dm(args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("file 'missing'"), std::string::npos) << r.err;
  args.push_back("--skip-on-error");
  r = dm(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("skipped missing: No such file or directory"), std::string::npos) << r.err;
  const auto id = r.out.substr(0, 27);
  EXPECT_EQ(ok({"bundle", "list", "files", "--repo", "demo", "--bundle", id, "--format", "{{.NameWithPath}}"}),
            "a\nsub/b\n");
}

}  // namespace
}  // namespace dm
