// CliTest: the fixture of the suites that run the datamon binary end to end on a file://
// store in a scratch folder (config bucket <dir>/store/config; buckets b, m, v, w, r beside it
// once create_context has run).
//
// The environment isolates the binary from the machine's own setup: its own HOME, an empty
// config file, no context or log level from outside, a fixed contributor. A suite adds to env_
// what it needs (later entries replace earlier ones). Failures are test failures, never
// exceptions.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace dm::test {

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // `context create` of the default context with the buckets b, m, v, w and r; a failure is
  // fatal (in SetUp, the test body does not run).
  void create_context();
  // `repo create`; a failure is fatal.
  void create_repo(const std::string& repo, const std::string& description);

  // The binary with env_.
  RunResult dm(const std::vector<std::string>& args) const;
  // The same, expected to succeed; its stdout.
  std::string ok(const std::vector<std::string>& args) const;
  // `bundle upload` of `src` into `repo` (with `extra` arguments); the new bundle's id.
  std::string upload_id(const std::filesystem::path& src, const std::string& repo,
                        const std::vector<std::string>& extra = {}) const;

  // `bundle download` of bundle `id` of `repo` gives exactly the tree `src` (compared whole,
  // reported short: the files are random bytes); the download is removed afterwards.
  void expect_downloads_exactly(const std::string& repo, const std::string& id, const std::filesystem::path& src) const;

  // A source tree for the transfer suites: `files` files of random bytes (file i has size_of(i)
  // bytes, seed i) spread over the folders d0..d<folders-1>, and one file "big" of `big_size`
  // bytes (seed `big_seed`).
  struct SourceTree {
    int files = 0;
    int folders = 1;
    std::function<size_t(int)> size_of;
    size_t big_size = 0;
    uint64_t big_seed = 0;
  };
  // The SetUp of the transfer suites: the environment, the context, repo "r" and `tree` in src_.
  void set_up_transfers(const SourceTree& tree);

  TempDir dir_;
  std::vector<std::string> env_;
  std::filesystem::path src_ = dir_ / "src";
};

}  // namespace dm::test
