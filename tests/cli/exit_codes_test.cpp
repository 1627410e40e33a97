// The exit codes of datamon: one per error kind (bin/exit_codes.h), printed by --help, and the
// Interrupted code when SIGINT or SIGTERM stops a command.
#include "bin/exit_codes.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <set>
#include <thread>

#include "support/test_support.h"

namespace dm {
namespace {

namespace fs = std::filesystem;

TEST(ExitCodes, EveryErrorKindHasItsOwnCode) {
  std::set<int> codes;
  std::set<ErrorKind> kinds;
  for (const auto& e : cli::kExitCodes) {
    EXPECT_NE(e.code, 0) << to_string(e.kind);
    EXPECT_TRUE(codes.insert(e.code).second) << "code " << e.code << " used twice";
    EXPECT_TRUE(kinds.insert(e.kind).second) << to_string(e.kind) << " listed twice";
  }
  for (int k = 0; k <= static_cast<int>(ErrorKind::Interrupted); ++k) {
    EXPECT_TRUE(kinds.count(static_cast<ErrorKind>(k))) << to_string(static_cast<ErrorKind>(k)) << " has no code";
  }
  // Go's codes: 1 for bad input (log.Fatal), 2 (ENOENT) for not found.
  EXPECT_EQ(cli::exit_code(ErrorKind::InvalidArgument), 1);
  EXPECT_EQ(cli::exit_code(ErrorKind::NotFound), 2);
}

TEST(ExitCodes, HelpListsThem) {
  const auto r = test::datamon({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Exit codes:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  130  interrupted by SIGINT or SIGTERM"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  6    unavailable"), std::string::npos) << r.out;
}

// An upload whose --files list is a FIFO blocks reading it mid-command; a signal then ends it
// with the Interrupted code and says which signal.
TEST(ExitCodes, SignalDuringACommandExitsInterrupted) {
  for (const int sig : {SIGINT, SIGTERM}) {
    test::TempDir dir;
    const std::vector<std::string> env{"DATAMON_GLOBAL_CONFIG=file://" + (dir / "store/config").string(),
                                       "DATAMON_CONFIG=" + (dir / "none.yaml").string(),
                                       "DATAMON_CONTEXT=", "DATAMON_LOGLEVEL=", "HOME=" + dir.path().string()};
    test::write_file(dir / "none.yaml", "");
    ASSERT_EQ(
        test::datamon(
            {"context", "create", "--blob", "b", "--meta", "m", "--vmeta", "v", "--wal", "w", "--read-log", "r"}, env)
            .exit_code,
        0);
    fs::create_directories(dir / "src");
    const auto fifo = dir / "list";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const auto err = dir / "stderr";
    auto upload = test::spawn({DATAMON_BIN, "bundle", "upload", "--path", (dir / "src").string(), "--repo", "r",
                               "--message", "m", "--files", fifo.string()},
                              env, "/dev/null", err);
    // Opening the write end succeeds once datamon has the FIFO open for reading; datamon then
    // waits for a line that never comes.
    int writer = -1;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while ((writer = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK)) < 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_GE(writer, 0) << "datamon never opened its --files list";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    upload.signal(sig);
    const auto status = upload.wait();
    ::close(writer);
    ASSERT_EQ(status.signal, 0) << status.describe();
    EXPECT_EQ(status.code, 130);
    const std::string name = sig == SIGINT ? "SIGINT" : "SIGTERM";
    EXPECT_NE(test::read_file(err).find("interrupted by " + name), std::string::npos) << test::read_file(err);
  }
}

}  // namespace
}  // namespace dm
