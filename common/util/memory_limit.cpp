#include "common/util/memory_limit.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <string>

namespace dm {

std::optional<uint64_t> parse_cgroup_memory_max(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  uint64_t bytes = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), bytes);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return bytes;
}

uint64_t memory_limit(std::initializer_list<std::filesystem::path> cgroup_limits) {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  uint64_t limit = pages > 0 && page_size > 0 ? uint64_t(pages) * uint64_t(page_size) : 0;
  for (const auto& path : cgroup_limits) {
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line)) continue;
    if (const auto cgroup = parse_cgroup_memory_max(line); cgroup && *cgroup > 0) {
      limit = limit == 0 ? *cgroup : std::min(limit, *cgroup);
    }
  }
  return limit;
}

}  // namespace dm
