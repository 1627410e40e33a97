#include "sidecar/mount_table.h"

#include <spdlog/spdlog.h>
#include <sys/mount.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "common/util/error.h"
#include "sidecar/child_process.h"

namespace dm::sidecar {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const std::string oct = field.substr(i + 1, 3);
      if (oct.size() == 3 && oct.find_first_not_of("01234567") == std::string::npos) {
        out.push_back(static_cast<char>(std::stoi(oct, nullptr, 8)));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

std::string normal(const std::filesystem::path& p) {
  std::error_code ec;
  auto c = std::filesystem::weakly_canonical(p, ec);
  return (ec ? p.lexically_normal() : c).string();
}

}  // namespace

std::optional<std::string> mounted_fs_type(const std::filesystem::path& mount_point) {
  const auto want = normal(mount_point);
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  std::optional<std::string> found;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::vector<std::string> parts;
    std::string part;
    while (fields >> part) parts.push_back(part);
    if (parts.size() < 7) continue;
    size_t dash = 6;
    while (dash < parts.size() && parts[dash] != "-") ++dash;
    if (dash + 1 >= parts.size()) continue;
    if (unescape(parts[4]) == want) found = parts[dash + 1];
  }
  return found;
}

bool is_fuse_mounted(const std::filesystem::path& mount_point) {
  const auto type = mounted_fs_type(mount_point);
  return type && (*type == "fuse" || type->rfind("fuse.", 0) == 0);
}

bool force_unmount(const std::filesystem::path& mount_point) {
  if (!is_fuse_mounted(mount_point)) return true;
  spdlog::warn("mount '{}' left behind; detaching it", mount_point.string());
  if (::umount2(mount_point.c_str(), MNT_DETACH) != 0) {
    try {
      ChildProcess fusermount({"fusermount3", "-u", "-z", mount_point.string()}, {.label = "fusermount3"});
      fusermount.wait_exit(std::chrono::seconds(10));
    } catch (const Error& e) {
      spdlog::warn("{}", e.what());
    }
  }
  return !is_fuse_mounted(mount_point);
}

}  // namespace dm::sidecar
