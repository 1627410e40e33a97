// common/util/process: real children (/bin/sh), their exit statuses, signals, timeouts,
// redirections, process groups, the user switch (the suites run as root) and the errors that
// name the program.
#include "common/util/process.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "common/util/error.h"
#include "support/expect_error.h"
#include "support/test_support.h"

namespace dm::process {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

std::string read_all(UniqueFd fd) {
  return read_to_end(fd.get());
}

// Runs `script` with sh, stdout to a pipe; returns its output and how it ended.
std::pair<std::string, ExitStatus> sh(const std::string& script, SpawnOptions options = {}) {
  options.out = Stream::pipe();
  auto child = spawn({"/bin/sh", "-c", script}, options);
  auto out = read_all(child.take_stdout());
  return {out, child.wait()};
}

TEST(Process, ReportsTheExitCodeAndDescribesIt) {
  auto child = spawn({"/bin/sh", "-c", "exit 3"});
  const auto status = child.wait();
  EXPECT_EQ(status.code, 3);
  EXPECT_EQ(status.signal, 0);
  EXPECT_FALSE(status.success());
  EXPECT_EQ(describe_exit("/bin/sh", status), "sh exited with 3");
  EXPECT_EQ(child.poll()->code, 3) << "the answer stays once reaped";
  EXPECT_TRUE(spawn({"/bin/true"}).wait().success());
}

TEST(Process, ReportsTheSignalThatKilledIt) {
  const auto status = spawn({"/bin/sh", "-c", "kill -9 $$"}).wait();
  EXPECT_EQ(status.signal, 9);
  EXPECT_EQ(status.shell_code(), 137);
  EXPECT_THAT(describe_exit("pg_ctl", status), HasSubstr("pg_ctl killed by signal 9"));
}

TEST(Process, WaitForTimesOutWhileTheChildRunsThenSeesItsEnd) {
  auto child = spawn({"/bin/sh", "-c", "exec sleep 30"});
  EXPECT_FALSE(child.wait_for(50ms).has_value());
  EXPECT_FALSE(child.poll().has_value());
  child.signal(SIGTERM);
  const auto status = child.wait_for(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->signal, SIGTERM);
}

TEST(Process, ARunningChildIsKilledAndReapedByTheDestructor) {
  pid_t pid = -1;
  {
    auto child = spawn({"/bin/sh", "-c", "exec sleep 30"});
    pid = child.pid();
    ASSERT_FALSE(test::process_gone(pid));
  }
  EXPECT_TRUE(test::process_gone(pid));
  EXPECT_NE(::kill(pid, 0), 0) << "a zombie was left";
}

TEST(Process, RedirectsStdinStdoutAndStderr) {
  test::TempDir dir;
  test::write_file(dir / "in", "from a file\n");
  SpawnOptions o;
  o.in = Stream::to_file(dir / "in");
  o.out = Stream::pipe();
  o.err = Stream::to_file(dir / "err");
  auto child = spawn({"/bin/sh", "-c", "cat; echo oops >&2"}, o);
  EXPECT_EQ(read_all(child.take_stdout()), "from a file\n");
  EXPECT_TRUE(child.wait().success());
  EXPECT_EQ(test::read_file(dir / "err"), "oops\n");

  SpawnOptions piped;
  piped.in = Stream::pipe();
  piped.out = Stream::pipe();
  piped.err = Stream::same_as_stdout();
  auto cat = spawn({"/bin/sh", "-c", "cat; echo done >&2"}, piped);
  {
    auto in = cat.take_stdin();
    ASSERT_EQ(::write(in.get(), "typed\n", 6), 6);
  }
  EXPECT_EQ(read_all(cat.take_stdout()), "typed\ndone\n");
  EXPECT_TRUE(cat.wait().success());

  SpawnOptions quiet;
  quiet.out = Stream::null();
  EXPECT_TRUE(spawn({"/bin/sh", "-c", "echo nothing"}, quiet).wait().success());
}

TEST(Process, UsesTheGivenEnvironmentAndWorkingDirectory) {
  test::TempDir dir;
  SpawnOptions o;
  o.environment = std::vector<std::string>{"ONLY=this", "PATH=/usr/bin:/bin"};
  o.working_dir = dir.path();
  o.umask = 027;
  const auto [out, status] = sh("echo \"$ONLY ${HOME:-nohome} $(pwd) $(umask)\"", o);
  EXPECT_TRUE(status.success());
  EXPECT_EQ(out, "this nohome " + dir.path().string() + " 0027\n");
}

TEST(Process, ClosesOurOtherFilesUnlessAskedToKeepThem) {
  const int leaked = ::open("/dev/null", O_RDONLY);  // not close-on-exec
  ASSERT_GE(leaked, 3);
  const std::string probe = "[ -e /proc/self/fd/" + std::to_string(leaked) + " ] && echo open || echo closed";
  EXPECT_EQ(sh(probe).first, "closed\n");
  SpawnOptions keep;
  keep.close_other_fds = false;
  EXPECT_EQ(sh(probe, keep).first, "open\n");
  ::close(leaked);
}

TEST(Process, ASignalToTheGroupReachesTheGrandchildren) {
  SpawnOptions o;
  o.group = ProcessGroup::NewGroup;
  o.out = Stream::pipe();
  auto child = spawn({"/bin/sh", "-c", "sleep 30 & echo $!; wait"}, o);
  auto out = child.take_stdout();
  std::string line;
  char c;
  while (::read(out.get(), &c, 1) == 1 && c != '\n') line += c;
  const pid_t grandchild = std::stoi(line);
  EXPECT_EQ(::getpgid(grandchild), child.pid());
  child.signal_group(SIGKILL);
  EXPECT_EQ(child.wait().signal, SIGKILL);
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    gone = test::process_gone(grandchild);
    if (!gone) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(gone) << "the grandchild outlived a SIGKILL to its group";
}

TEST(Process, DropsToAnotherUserWhenRoot) {
  ASSERT_EQ(::geteuid(), 0U) << "the suites run as root";
  const passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  SpawnOptions o;
  o.run_as = Credentials{nobody->pw_uid, nobody->pw_gid, groups_of_user("nobody", nobody->pw_gid)};
  o.working_dir = "/";
  const auto [out, status] = sh("echo $(id -u) $(id -g)", o);
  EXPECT_TRUE(status.success());
  EXPECT_EQ(out, std::to_string(nobody->pw_uid) + " " + std::to_string(nobody->pw_gid) + "\n");
}

TEST(Process, ErrorsNameTheProgramAndTheStep) {
  test::expect_error([] { spawn({"no-such-program-xyz"}); }, ErrorKind::NotFound,
                     {"'no-such-program-xyz' not found in PATH"});
  test::TempDir dir;
  test::write_file(dir / "not-executable", "#!/bin/sh\n");
  EXPECT_THAT(test::error_message([&] { spawn({(dir / "not-executable").string()}); }),
              HasSubstr("cannot execute '" + (dir / "not-executable").string() + "'"));
  SpawnOptions o;
  o.working_dir = dir / "missing";
  EXPECT_THAT(test::error_message([&] { spawn({"/bin/true"}, o); }),
              HasSubstr("cannot enter the working directory of '/bin/true'"));
}

TEST(Process, ForkCallExitsWithTheBodysValue) {
  auto child = fork_call("body", ProcessGroup::NewSession, [] { return ::getsid(0) == ::getpid() ? 5 : 6; });
  EXPECT_EQ(child.wait().code, 5);
}

}  // namespace
}  // namespace dm::process
