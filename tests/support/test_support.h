// Helpers shared by the test suites: scratch folders, deterministic data, running the CLI.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/util/process.h"

namespace dm::test {

// A fresh folder under $TMPDIR (or /tmp), removed when the object dies.
class TempDir {
 public:
  TempDir();
  // Under `base` instead.
  explicit TempDir(const std::filesystem::path& base);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  std::filesystem::path path_;
};

// gen(n) of the format spec: bytes i % 251.
std::string gen_bytes(size_t n);
// Deterministic pseudo-random bytes.
std::string random_bytes(size_t n, uint64_t seed);
void write_file(const std::filesystem::path& path, const std::string& data);
std::string read_file(const std::filesystem::path& path);

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Starts `argv` (argv[0] a path, or a name in PATH) without waiting: the test's environment with "K=V" entries of
// `env` replacing or adding, stdin from /dev/null, stdout and stderr to the given files
// (created 0600, truncated), other fds closed (common/util/process). Throws dm::Error (a
// std::runtime_error) naming the program if it cannot start.
// The same file for both: one stream, interleaved. The Child waits for it, and kills and reaps
// it if the test ends first.
process::Child spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                     const std::filesystem::path& out = "/dev/null", const std::filesystem::path& err = "/dev/null");
// Runs `argv` (argv[0] a path) with extra environment "K=V" entries; waits for it.
RunResult run(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
// Runs the datamon binary under test.
RunResult datamon(const std::vector<std::string>& args, const std::vector<std::string>& env = {});

// The process no longer runs: it is gone, or a zombie waiting to be reaped.
bool process_gone(pid_t pid);

// Returns once the wall clock's whole second has changed. Bundle ids are ksuids, which count
// whole seconds: two uploads within one second order by their random payload, so a test that
// means "the later upload is the latest bundle" calls this between them.
void wait_for_next_second();

// Every regular file under `root` (relative names) with its content; for tree comparisons.
std::vector<std::pair<std::string, std::string>> tree_contents(const std::filesystem::path& root,
                                                               const std::vector<std::string>& skip_top = {});

}  // namespace dm::test
