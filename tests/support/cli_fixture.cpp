#include "support/cli_fixture.h"

#include <fmt/format.h>

namespace dm::test {

void CliTest::SetUp() {
  env_ = {"DATAMON_GLOBAL_CONFIG=file://" + (dir_ / "store/config").string(),
          "DATAMON_CONFIG=" + (dir_ / "none.yaml").string(),
          "DATAMON_CONTEXT=",
          "DATAMON_LOGLEVEL=",
          "DATAMON_NAME=Test User",
          "DATAMON_EMAIL=test@example.com",
          "HOME=" + dir_.path().string()};
  write_file(dir_ / "none.yaml", "");
}

void CliTest::create_context() {
  const auto r =
      dm({"context", "create", "--blob", "b", "--meta", "m", "--vmeta", "v", "--wal", "w", "--read-log", "r"});
  ASSERT_EQ(r.exit_code, 0) << "context create: " << r.err;
}

void CliTest::create_repo(const std::string& repo, const std::string& description) {
  const auto r = dm({"repo", "create", "--repo", repo, "--description", description});
  ASSERT_EQ(r.exit_code, 0) << "repo create " << repo << ": " << r.err;
}

RunResult CliTest::dm(const std::vector<std::string>& args) const {
  return datamon(args, env_);
}

void CliTest::expect_downloads_exactly(const std::string& repo, const std::string& id,
                                       const std::filesystem::path& src) const {
  const auto out = dir_ / ("check-" + id);
  const auto r = dm({"bundle", "download", "--repo", repo, "--bundle", id, "--destination", out.string()});
  EXPECT_EQ(r.exit_code, 0) << "bundle " << id << ": " << r.err.substr(0, 2000);
  EXPECT_TRUE(tree_contents(out, {".datamon"}) == tree_contents(src))
      << "bundle " << id << " does not download as " << src;
  std::filesystem::remove_all(out);
}

std::string CliTest::ok(const std::vector<std::string>& args) const {
  auto r = dm(args);
  EXPECT_EQ(r.exit_code, 0) << "datamon " << (args.empty() ? "" : args[0]) << ": " << r.err;
  return r.out;
}

std::string CliTest::upload_id(const std::filesystem::path& src, const std::string& repo,
                               const std::vector<std::string>& extra) const {
  std::vector<std::string> args{"bundle", "upload",    "--path", src.string(), "--repo",
                                repo,     "--message", "m",      "--format",   "{{.BundleID}}"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto out = ok(args);
  return out.substr(0, out.find('\n'));
}

void CliTest::set_up_transfers(const SourceTree& tree) {
  CliTest::SetUp();
  create_context();
  create_repo("r", "d");
  for (int i = 0; i < tree.files; ++i) {
    const auto folder = fmt::format("d{}", i % tree.folders);
    write_file(src_ / folder / fmt::format("f{}", i), random_bytes(tree.size_of(i), static_cast<uint64_t>(i)));
  }
  write_file(src_ / "big", random_bytes(tree.big_size, tree.big_seed));
}

}  // namespace dm::test
