// Shared set-up of the pod tests: a datamon context on a local file:// store, repos, and
// runners for the sidecars and the wrapper as real `datamon` processes.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sidecar/child_process.h"
#include "support/test_support.h"

namespace dm::sidecar::podtest {

class LocalStore {
 public:
  LocalStore();  // a context "dev" under a fresh folder; throws on failure
  const std::string& url() const { return url_; }
  // `datamon --config URL args...`
  test::RunResult run(const std::vector<std::string>& args) const;
  void create_repo(const std::string& repo) const;
  const std::filesystem::path& root() const { return dir_.path(); }

 private:
  test::TempDir dir_;
  std::string url_;
};

// A `datamon --config URL args...` child process (output copied to the test log).
std::unique_ptr<ChildProcess> start_datamon(const LocalStore& store, const std::vector<std::string>& args,
                                            const std::string& label);

bool wait_for_file(const std::filesystem::path& p, std::chrono::milliseconds limit);

}  // namespace dm::sidecar::podtest
