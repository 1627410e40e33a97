#include "common/util/mount_table.h"

#include "common/util/files.h"

namespace dm {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo (three octal digits).
std::string unescape(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const auto oct = field.substr(i + 1, 3);
      if (oct.size() == 3 && oct.find_first_not_of("01234567") == std::string_view::npos) {
        out.push_back(static_cast<char>((oct[0] - '0') * 64 + (oct[1] - '0') * 8 + (oct[2] - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) parts.push_back(line.substr(start, i - start));
  }
  return parts;
}

}  // namespace

std::vector<MountEntry> parse_mount_table(std::string_view text) {
  // "id parent major:minor root mount-point options [optional...] - fstype source super-options"
  std::vector<MountEntry> entries;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const auto parts = split_fields(text.substr(start, end - start));
    start = end + 1;
    if (parts.size() < 7) continue;
    size_t dash = 6;
    while (dash < parts.size() && parts[dash] != "-") ++dash;
    if (dash + 1 >= parts.size()) continue;
    const auto field_after_dash = [&](size_t i) { return dash + i < parts.size() ? unescape(parts[dash + i]) : ""; };
    entries.push_back(MountEntry{std::string(parts[2]), unescape(parts[4]), field_after_dash(1), field_after_dash(2),
                                 field_after_dash(3)});
  }
  return entries;
}

std::vector<MountEntry> read_mount_table() {
  // procfs reports a size of 0: read_file reads to the end whatever fstat says.
  return parse_mount_table(read_file("/proc/self/mountinfo"));
}

std::optional<MountEntry> mount_at(const std::filesystem::path& mount_point) {
  // Never resolved through the file system: the mount there may be a FUSE mount not served yet
  // (a mount server looking for its own mount before its loop runs would wait on itself) or a
  // dead one.
  std::error_code ec;
  auto want = std::filesystem::absolute(mount_point, ec).lexically_normal();
  if (ec) want = mount_point.lexically_normal();
  std::optional<MountEntry> found;
  for (auto& e : read_mount_table()) {
    if (e.mount_point == want) found = std::move(e);
  }
  return found;
}

}  // namespace dm
