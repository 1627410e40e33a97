#include "support/kill_points.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "support/test_support.h"

namespace dm::test {

process::Child start_datamon(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<std::string> argv{DATAMON_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return spawn(argv, env);
}

bool kill_after(process::Child child, std::chrono::microseconds delay) {
  // Polled every 200 us rather than waited for in whole milliseconds: the delay is the kill point.
  const auto deadline = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < deadline) {
    if (child.poll()) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  child.signal(SIGKILL);
  return child.wait().signal == SIGKILL;
}

std::chrono::microseconds timed_run(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = datamon(args, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
}

std::chrono::microseconds shortest_run(const std::vector<std::string>& args, const std::vector<std::string>& env,
                                       int runs) {
  auto shortest = timed_run(args, env);
  for (int i = 1; i < runs; ++i) shortest = std::min(shortest, timed_run(args, env));
  return shortest;
}

}  // namespace dm::test
