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

// What a pod left behind under `dir`: processes whose command line mentions it (pgrep -a -f:
// mount servers, postmasters, sidecars) and mounts below it (/proc/mounts), one line each.
// Waits up to `limit` for them to go (a killed sidecar's children end on their own).
std::vector<std::string> left_behind(const std::filesystem::path& dir, std::chrono::milliseconds limit);

}  // namespace dm::sidecar::podtest
