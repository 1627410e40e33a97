// Shared by the fusefs tests: a file:// datamon context in a TempDir, bundles made with the
// core (or object by object for the Go-layout and legacy cases), and real mounts of them run
// as a child `datamon bundle mount` that is always unmounted in teardown.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/config/context.h"
#include "common/model/documents.h"
#include "common/util/process.h"
#include "support/test_support.h"

namespace dm::test {

// A file:// config bucket with context "dev" and repo "repo".
class TestContext {
 public:
  TestContext();
  const std::filesystem::path& root() const { return dir_.path(); }
  std::filesystem::path blob_dir() const { return dir_ / "dev-blob"; }
  config::ContextStores& stores() { return stores_; }
  std::vector<std::string> env() const;  // DATAMON_GLOBAL_CONFIG / DATAMON_CONTEXT for the CLI

  // Uploads the folder with the core; returns the bundle id.
  std::string upload(const std::filesystem::path& folder);
  // Writes a bundle object by object: blobs for each (name, content), index files holding
  // `per_file` entries each in the given order, then bundle.yaml. Names are used verbatim.
  std::string write_bundle_by_hand(const std::vector<std::pair<std::string, std::string>>& files, uint32_t leaf_size,
                                   uint64_t version, size_t per_file);

 private:
  TempDir dir_;
  config::ContextStores stores_;
};

struct MountInfo {
  std::string type;
  std::string source;
  std::string options;
};
// The top mount at `point` in /proc/self/mountinfo (common/util/mount_table), if any.
std::optional<MountInfo> find_mount(const std::filesystem::path& point);

// A foreground `datamon bundle mount` child. The constructor waits (bounded) for the mount to
// appear; the destructor unmounts (force_unmount) and reaps the child.
class MountProcess {
 public:
  MountProcess(const TestContext& ctx, const std::string& bundle, const std::filesystem::path& point,
               const std::vector<std::string>& extra = {});
  ~MountProcess();
  MountProcess(const MountProcess&) = delete;
  MountProcess& operator=(const MountProcess&) = delete;

  bool ready() const { return ready_; }
  pid_t pid() const { return child_.pid(); }
  // Waits up to `limit` for the child to exit; its exit code, or nullopt if it still runs.
  std::optional<int> wait_exit(std::chrono::milliseconds limit);
  std::string log() const;  // the child's stderr so far

 private:
  TempDir logs_;
  std::filesystem::path point_;
  process::Child child_;
  bool ready_ = false;
};

// Unmounts whatever is at `point` (fusermount3 -u, then dm::detach_mount); never throws.
void force_unmount(const std::filesystem::path& point);
// A context, a scratch folder and an empty mount point that teardown always unmounts.
class MountTestBase : public ::testing::Test {
 protected:
  TestContext ctx;
  TempDir work;
  std::filesystem::path mnt = work / "mnt";
  void SetUp() override { std::filesystem::create_directories(mnt); }
  void TearDown() override { force_unmount(mnt); }
};

// `length` bytes of `path` from `offset` with pread (fewer at the end); on failure "" and *err =
// errno (0 on success).
std::string pread_all(const std::filesystem::path& path, uint64_t offset, size_t length, int* err = nullptr);

// A TCP port on 127.0.0.1 free at the time of the call.
int free_port();
// GET http://127.0.0.1:port/metrics with curl.
std::string scrape_metrics(int port);
// The value of the first sample line starting with `name` (e.g. `x_total` or `x{tier="ram"}`).
double metric_value(const std::string& text, const std::string& name);
// Scrapes until `done(value of name)` holds or `limit` passes; returns the last value (so a
// test asserts on it, never on the time it took).
double wait_for_metric(int port, const std::string& name, const std::function<bool(double)>& done,
                       std::chrono::seconds limit = std::chrono::seconds(60));

}  // namespace dm::test
