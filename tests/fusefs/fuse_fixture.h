// Shared by the fusefs tests: real mounts of TestContext bundles run as a child `datamon bundle
// mount` that is always unmounted in teardown, and the readers of what a mount serves.
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

#include "common/util/process.h"
#include "support/test_context.h"
#include "support/test_support.h"

namespace dm::test {

inline constexpr size_t kMiB = size_t{1} << 20;

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
