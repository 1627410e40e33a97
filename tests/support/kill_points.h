// kill -9 at seeded random points: starting the datamon binary detached from the test's
// output, and killing it after a delay unless it finished first. Shared by the crash tests
// of the cli and reliability suites.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/util/process.h"

namespace dm::test {

// Starts DATAMON_BIN with `args` and the test's environment plus `env` ("K=V"); stdout and
// stderr go to /dev/null.
process::Child start_datamon(const std::vector<std::string>& args, const std::vector<std::string>& env);

// SIGKILLs `child` after `delay` unless it exited first; reaps it either way. True when the
// kill is what ended it (the run was cut short), false when it finished on its own.
bool kill_after(process::Child child, std::chrono::microseconds delay);

// Wall time of one run of `args` (which must succeed: a failure is a test failure).
std::chrono::microseconds timed_run(const std::vector<std::string>& args, const std::vector<std::string>& env);

// The shortest of `runs` timed runs: the length to draw kill points over. One run slowed by a
// loaded machine would put most kill points after the end of the runs that follow it.
std::chrono::microseconds shortest_run(const std::vector<std::string>& args, const std::vector<std::string>& env,
                                       int runs);

}  // namespace dm::test
