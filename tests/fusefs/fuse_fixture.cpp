#include "fusefs/fuse_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "common/util/error.h"
#include "common/util/fuse_mounts.h"
#include "common/util/mount_table.h"

namespace dm::test {

namespace fs = std::filesystem;

std::optional<MountInfo> find_mount(const fs::path& point) {
  auto entry = mount_at(point);
  if (!entry) return std::nullopt;
  return MountInfo{std::move(entry->fs_type), std::move(entry->source), std::move(entry->super_options)};
}

MountProcess::MountProcess(const TestContext& ctx, const std::string& bundle, const fs::path& point,
                           const std::vector<std::string>& extra)
    : point_(point) {
  std::vector<std::string> argv{DATAMON_BIN, "bundle", "mount", "--repo", "repo", "--mount", point.string()};
  if (!bundle.empty()) {
    argv.push_back("--bundle");
    argv.push_back(bundle);
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  child_ = spawn(argv, ctx.env(), logs_ / "out", logs_ / "err");
  // Bounded wait: the mount appears, or the child exits.
  for (int i = 0; i < 2000; ++i) {
    // A stale mount left by a killed daemon is listed too; only a live one answers statfs. One
    // statfs decides (a live FUSE file system answers it with FUSE's magic; a stale one fails;
    // the bare folder answers with its own): the mount table looked up first and statfs after
    // could see the stale mount listed, the new server detach it, and statfs answered by the bare
    // folder, which made a read right after "ready" fail with ENOENT.
    if (statfs_says_fuse(point_)) {
      const auto m = find_mount(point_);
      if (m && m->type == "fuse.datamon") {
        ready_ = true;
        return;
      }
    }
    if (wait_exit(std::chrono::milliseconds(0))) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::optional<int> MountProcess::wait_exit(std::chrono::milliseconds limit) {
  const auto status = child_.wait_for(limit);
  if (!status) return std::nullopt;
  return status->shell_code();
}

std::string MountProcess::log() const {
  std::ifstream in(logs_ / "err");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void force_unmount(const fs::path& point) {
  if (!mount_at(point)) return;
  // A clean unmount first: the server sees it and exits by itself.
  run({"/usr/bin/fusermount3", "-u", point.string()});
  if (!mount_at(point)) return;
  try {
    detach_mount(point);
  } catch (const Error&) {
  }
}

MountProcess::~MountProcess() {
  force_unmount(point_);
  if (!wait_exit(std::chrono::milliseconds(5000))) {
    child_.signal(SIGKILL);
    wait_exit(std::chrono::milliseconds(5000));
    force_unmount(point_);
  }
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string scrape_metrics(int port) {
  return run({"/usr/bin/curl", "-sS", "--max-time", "5", "http://127.0.0.1:" + std::to_string(port) + "/metrics"}).out;
}

double metric_value(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

std::string pread_all(const std::filesystem::path& path, uint64_t offset, size_t length, int* err) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    if (err) *err = errno;
    return {};
  }
  std::string out(length, '\0');
  size_t done = 0;
  while (done < length) {
    const ssize_t n = ::pread(fd, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (err) *err = errno;
      ::close(fd);
      return {};
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(done);
  if (err) *err = 0;
  return out;
}

double wait_for_metric(int port, const std::string& name, const std::function<bool(double)>& done,
                       std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  double value = metric_value(scrape_metrics(port), name);
  while (!done(value) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    value = metric_value(scrape_metrics(port), name);
  }
  return value;
}

}  // namespace dm::test
