#include "pgmover/data_dir.h"

#include <sys/stat.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <set>

#include "common/util/error.h"
#include "common/util/files.h"
#include "pgmover/exclusions.h"

namespace fs = std::filesystem;

namespace dm::pgmover {

namespace {

// Control facts worth keeping with the bundle (pgBackRest and pg_upgrade look at these).
constexpr const char* kRecordedFacts[] = {"pg_control version number",
                                          "Catalog version number",
                                          "Database system identifier",
                                          "Database cluster state",
                                          "Latest checkpoint location",
                                          "Latest checkpoint's REDO location",
                                          "Latest checkpoint's REDO WAL file",
                                          "Latest checkpoint's TimeLineID",
                                          "Data page checksum version",
                                          "Database block size",
                                          "Bytes per WAL segment"};

bool parse_lsn(const std::string& text, uint64_t& lsn) {
  unsigned hi = 0, lo = 0;
  if (std::sscanf(text.c_str(), "%X/%X", &hi, &lo) != 2) return false;
  lsn = (static_cast<uint64_t>(hi) << 32) | lo;
  return true;
}

std::string segment_name(unsigned timeline, uint64_t lsn, uint64_t segment_size) {
  const uint64_t segno = lsn / segment_size;
  const uint64_t per_id = 0x100000000ULL / segment_size;
  char name[32];
  std::snprintf(name, sizeof name, "%08X%08X%08X", timeline, static_cast<unsigned>(segno / per_id),
                static_cast<unsigned>(segno % per_id));
  return name;
}

}  // namespace

std::vector<std::string> needed_wal_segments(const std::map<std::string, std::string>& control) {
  auto get = [&](const char* key) {
    auto it = control.find(key);
    return it == control.end() ? std::string() : it->second;
  };
  const auto redo_file = get("Latest checkpoint's REDO WAL file");
  const auto size_text = get("Bytes per WAL segment");
  const auto tli_text = get("Latest checkpoint's TimeLineID");
  uint64_t checkpoint = 0;
  if (!is_wal_segment_name(redo_file) || size_text.empty() || tli_text.empty() ||
      !parse_lsn(get("Latest checkpoint location"), checkpoint)) {
    return {};
  }
  const uint64_t segment_size = std::strtoull(size_text.c_str(), nullptr, 10);
  if (segment_size == 0 || (segment_size & (segment_size - 1)) != 0) return {};
  const auto timeline = static_cast<unsigned>(std::strtoul(tli_text.c_str(), nullptr, 10));
  std::vector<std::string> needed = {redo_file};
  const auto checkpoint_file = segment_name(timeline, checkpoint, segment_size);
  if (checkpoint_file != redo_file) needed.push_back(checkpoint_file);
  return needed;
}

DataDirScan scan_data_dir(const fs::path& pgdata, const std::map<std::string, std::string>& control,
                          bool keep_all_wal) {
  DataDirScan scan;
  auto& layout = scan.layout;
  layout.pg_version = read_file(pgdata / "PG_VERSION");
  while (!layout.pg_version.empty() && (layout.pg_version.back() == '\n' || layout.pg_version.back() == ' ')) {
    layout.pg_version.pop_back();
  }
  for (const char* key : kRecordedFacts) {
    if (auto it = control.find(key); it != control.end()) layout.control[key] = it->second;
  }
  std::set<std::string> keep_wal;
  bool trim_wal = false;
  if (!keep_all_wal) {
    const auto needed = needed_wal_segments(control);
    // When in doubt, keep the file: trim only when the needed segment really is there.
    trim_wal = !needed.empty() && std::all_of(needed.begin(), needed.end(), [&](const std::string& n) {
      return fs::is_regular_file(pgdata / "pg_wal" / n);
    });
    keep_wal.insert(needed.begin(), needed.end());
  }

  struct stat st {};
  if (::stat(pgdata.c_str(), &st) != 0) throw_errno("cannot stat", pgdata.string());
  layout.directories.push_back({"", st.st_mode & 07777});

  std::error_code ec;
  auto it = fs::recursive_directory_iterator(pgdata, fs::directory_options::none, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot read '" + pgdata.string() + "': " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) throw Error(ErrorKind::Io, "cannot read below '" + pgdata.string() + "': " + ec.message());
    const fs::path& path = it->path();
    const std::string rel = path.lexically_relative(pgdata).generic_string();
    if (::lstat(path.c_str(), &st) != 0) throw_errno("cannot stat", path.string());
    if (is_excluded(rel)) {
      if (S_ISDIR(st.st_mode)) it.disable_recursion_pending();
      ++scan.excluded_files;
      continue;
    }
    if (auto marker = refused_marker(rel); !marker.empty()) {
      throw Error(ErrorKind::InvalidArgument, "'" + path.string() +
                                                  "' is present: the cluster is not a cleanly "
                                                  "stopped primary (backup or recovery in progress)");
    }
    if (S_ISDIR(st.st_mode)) {
      layout.directories.push_back({rel, st.st_mode & 07777});
    } else if (S_ISLNK(st.st_mode)) {
      if (rel.starts_with("pg_tblspc/")) {
        throw Error(ErrorKind::InvalidArgument,
                    "'" + path.string() + "' is a tablespace; tablespaces are not supported by datamon pg");
      }
      std::error_code lec;
      const auto target = fs::read_symlink(path, lec);
      if (lec) throw Error(ErrorKind::Io, "cannot read symlink '" + path.string() + "': " + lec.message());
      layout.symlinks.push_back({rel, target.string()});
    } else if (S_ISREG(st.st_mode)) {
      if (trim_wal && rel.starts_with("pg_wal/")) {
        const auto name = path.filename().string();
        const bool segment = rel.find('/', 7) == std::string::npos && is_wal_segment_name(name);
        // archive_status/<segment>.ready|.done of a left-out segment goes with it.
        const bool status = rel.starts_with("pg_wal/archive_status/") && name.size() > 24 &&
                            is_wal_segment_name(name.substr(0, 24)) && !keep_wal.count(name.substr(0, 24));
        if ((segment && !keep_wal.count(name)) || status) {
          if (segment) {
            layout.omitted_wal.push_back(name);
            scan.omitted_wal_bytes += static_cast<uint64_t>(st.st_size);
          }
          continue;
        }
      }
      scan.files.push_back({rel, path, static_cast<uint32_t>(st.st_mode & 07777), static_cast<uint64_t>(st.st_size)});
    } else {
      throw Error(ErrorKind::InvalidArgument,
                  "'" + path.string() + "' is a special file (socket, FIFO or device); is a server running?");
    }
  }
  auto by_name = [](const auto& a, const auto& b) { return a.path < b.path; };
  std::sort(layout.directories.begin(), layout.directories.end(), by_name);
  std::sort(layout.symlinks.begin(), layout.symlinks.end(), by_name);
  std::sort(layout.omitted_wal.begin(), layout.omitted_wal.end());
  std::sort(scan.files.begin(), scan.files.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return scan;
}

}  // namespace dm::pgmover
