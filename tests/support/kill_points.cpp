#include "support/kill_points.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstring>
#include <thread>

#include "support/test_support.h"

namespace dm::test {

pid_t start_datamon(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<std::string> argv{DATAMON_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return spawn(argv, env);
}

bool kill_after(pid_t pid, std::chrono::microseconds delay) {
  if (pid <= 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + delay;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

std::chrono::microseconds timed_run(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = datamon(args, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
}

}  // namespace dm::test
