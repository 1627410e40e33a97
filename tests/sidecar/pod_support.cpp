#include "pod_support.h"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace dm::sidecar::podtest {

LocalStore::LocalStore() : url_("file://" + (dir_ / "config").string()) {
  auto r = run({"context", "create", "--context", "dev", "--blob", "dev-blob", "--meta", "dev-meta", "--vmeta",
                "dev-vmeta", "--wal", "dev-wal", "--read-log", "dev-read-log"});
  if (r.exit_code != 0) throw std::runtime_error("context create failed: " + r.err);
}

test::RunResult LocalStore::run(const std::vector<std::string>& args) const {
  std::vector<std::string> all{"--config", url_};
  all.insert(all.end(), args.begin(), args.end());
  return test::datamon(all, {"DATAMON_NAME=pod test", "DATAMON_EMAIL=pod@test"});
}

void LocalStore::create_repo(const std::string& repo) const {
  auto r = run({"repo", "create", "--repo", repo, "--description", "pod test"});
  if (r.exit_code != 0) throw std::runtime_error("repo create failed: " + r.err);
}

std::unique_ptr<ChildProcess> start_datamon(const LocalStore& store, const std::vector<std::string>& args,
                                            const std::string& label) {
  std::vector<std::string> argv{DATAMON_BIN, "--config", store.url()};
  argv.insert(argv.end(), args.begin(), args.end());
  return std::make_unique<ChildProcess>(argv, SpawnOptions{.label = label});
}

bool wait_for_file(const std::filesystem::path& p, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!std::filesystem::exists(p)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> left_behind_now(const std::filesystem::path& dir) {
  auto found = lines_of(test::run({"/usr/bin/pgrep", "-a", "-f", dir.string()}).out);
  for (auto& line : found) line = "process " + line;
  std::ifstream mounts("/proc/mounts");
  for (std::string device, point, rest; mounts >> device >> point && std::getline(mounts, rest);) {
    if (point.rfind(dir.string(), 0) == 0) found.push_back("mount " + point + " (" + device + ")");
  }
  return found;
}

}  // namespace

std::vector<std::string> left_behind(const std::filesystem::path& dir, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto found = left_behind_now(dir);
    if (found.empty() || std::chrono::steady_clock::now() > deadline) return found;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace dm::sidecar::podtest
