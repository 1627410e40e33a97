// `datamon completion bash|zsh` (the generated scripts are valid and complete commands,
// subcommands and flags of the real tree) and the Go flags accepted without effect (each one
// parses as Go's does; --metrics-password never shows up in any output).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/cli_fixture.h"
#include "support/test_support.h"

namespace dm {
namespace {

namespace fs = std::filesystem;

class CliCompletion : public test::CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    script_ = dir_ / "datamon.bash";
    test::write_file(script_, ok({"completion", "bash"}));
  }

  // What the bash completion offers for the words typed so far, `current` the word being typed;
  // one word a line, sorted.
  std::string offered(const std::vector<std::string>& before, const std::string& current) const {
    std::string words = "datamon";
    for (const auto& w : before) words += " " + w;
    words += " '" + current + "'";
    const auto r = test::run(
        {"bash", "-c",
         "set -e; source \"$0\"; COMP_WORDS=(" + words +
             "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); "
             "__datamon_complete; if [ ${#COMPREPLY[@]} -gt 0 ]; then printf '%s\\n' \"${COMPREPLY[@]}\" | sort; fi",
         script_.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  fs::path script_;
};

TEST_F(CliCompletion, BashScriptIsValidAndCompletesCommands) {
  const auto syntax = test::run({"bash", "-n", script_.string()});
  EXPECT_EQ(syntax.exit_code, 0) << syntax.err;
  EXPECT_EQ(offered({}, "bun"), "bundle\n");
  EXPECT_EQ(offered({}, "re"), "repo\n");
  EXPECT_EQ(offered({"repo"}, "ren"), "rename\n");
  EXPECT_EQ(offered({"bundle"}, "l"), "list\n");
  EXPECT_EQ(offered({"bundle", "list"}, "fi"), "files\n");
  // Flags: the command's own and the global ones; words after flags still find the path.
  EXPECT_EQ(offered({"bundle", "upload"}, "--re"), "--repo\n--retry\n");
  EXPECT_EQ(offered({"--loglevel", "debug", "bundle", "mount"}, "--dest"), "--destination\n");
  EXPECT_EQ(offered({"label", "list"}, "--cont"), "--context\n");
  EXPECT_EQ(offered({"repo", "get"}, "--h"), "--help\n");  // own and global: offered once
  // The hidden completion command is not offered.
  EXPECT_EQ(offered({}, "comp"), "");
}

TEST_F(CliCompletion, ZshScriptHasTheSameTables) {
  const auto zsh = ok({"completion", "zsh"});
  EXPECT_TRUE(zsh.starts_with("#compdef datamon\n")) << zsh;
  EXPECT_NE(zsh.find("    'bundle list') echo 'files "), std::string::npos) << zsh;
  // zsh comes with scripts/install-deps.sh: without it this check fails rather than pass unseen.
  test::write_file(dir_ / "_datamon", zsh);
  const auto syntax = test::run({"zsh", "-n", (dir_ / "_datamon").string()});
  EXPECT_EQ(syntax.exit_code, 0) << syntax.err;
  // The completion function under a compadd that prints what it is given (zsh filters by the
  // typed prefix itself): after `repo` the candidates are repo's subcommands and flags.
  const auto r = test::run({"zsh", "-c",
                            "compadd() { shift; print -l -- \"$@\"; }; compdef() { :; }; source \"$0\"; "
                            "words=(datamon --loglevel debug repo ren); CURRENT=5; __datamon_complete",
                            (dir_ / "_datamon").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("create\nlist\nget\ndelete\nrename\n")) << r.out;
}

TEST_F(CliCompletion, UnknownOrMissingShellIsBadInput) {
  auto r = dm({"completion", "fish"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the only supported shells are bash and zsh, not 'fish'"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  r = dm({"completion"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("specify a shell"), std::string::npos) << r.err;
  // Hidden from help, as in Go.
  EXPECT_EQ(ok({"--help"}).find("completion"), std::string::npos);
}

class CliGoFlags : public test::CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    create_context();
    create_repo("r", "d");
    test::write_file(src_ / "f", "data");
  }
};

TEST_F(CliGoFlags, GlobalMetricsFlagsAreAcceptedAndThePasswordNeverShown) {
  const std::string secret = "pw-4f1d9c";
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--metrics", "--metrics-url", "http://u:x@127.0.0.1:1/db", "--metrics-user", "u", "--metrics-password",
            secret, "--loglevel", "debug", "repo", "list"},
           {"repo", "list", "--metrics=false", "--metrics-url=http://h/db", "--metrics-password=" + secret},
           {"--metrics-password", secret, "repo", "get", "--repo", "nope"}}) {
    const auto r = dm(args);
    EXPECT_EQ(r.exit_code, args.back() == "nope" ? 2 : 0) << r.err;
    EXPECT_EQ(r.out.find(secret), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find(secret), std::string::npos) << r.err;
  }
  EXPECT_NE(ok({"--help"}).find("--metrics-password"), std::string::npos);
}

TEST_F(CliGoFlags, BundleUploadAcceptsRetryAndVerifyFlags) {
  for (const auto& extra :
       std::vector<std::vector<std::string>>{{"--retry", "--verify-hash", "--verify-blob-hash"},
                                             {"--retry=false", "--verify-hash=false", "--verify-blob-hash=true"}}) {
    const auto id = upload_id(src_, "r", extra);
    EXPECT_EQ(id.size(), 27U);
  }
  // Boolean like Go's: a separate word is no value of the flag.
  EXPECT_NE(
      dm({"bundle", "upload", "--path", src_.string(), "--repo", "r", "--message", "m", "--retry", "false"}).exit_code,
      0);
}

TEST_F(CliGoFlags, BundleMountAcceptsCpuprofAndDestination) {
  // Parsing passes and the mount goes on to look up the repo: exit 2 naming it, not CLI11's
  // parse error (which an unknown flag gets).
  const std::vector<std::string> base{"bundle", "mount", "--repo", "nope", "--mount", (dir_ / "mnt").string()};
  auto args = base;
  args.insert(args.end(), {"--cpuprof", "--destination", (dir_ / "dest").string()});
  auto r = dm(args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("'nope'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "dest"));
  args = base;
  args.emplace_back("--no-such-flag");
  r = dm(args);
  EXPECT_NE(r.exit_code, 2) << r.err;
  EXPECT_NE(r.exit_code, 0);
}

}  // namespace
}  // namespace dm
