#include "pgmover/exclusions.h"

#include <array>
#include <cctype>

namespace dm::pgmover {

namespace {

constexpr std::array<std::string_view, 7> kContentsExcludedDirs = {
    "pg_dynshmem", "pg_notify", "pg_replslot", "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans"};

constexpr std::array<std::string_view, 6> kExcludedNames = {"postgresql.auto.conf.tmp", "current_logfiles.tmp",
                                                            "backup_manifest",          "postmaster.pid",
                                                            "postmaster.opts",          "backup_label.old"};

constexpr std::array<std::string_view, 4> kRefusedTopFiles = {"backup_label", "tablespace_map", "recovery.signal",
                                                              "standby.signal"};

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string_view basename(std::string_view rel) {
  const auto slash = rel.rfind('/');
  return slash == std::string_view::npos ? rel : rel.substr(slash + 1);
}

// t<backend>_<relfilenode>[_fork][.segment]: a temporary relation (looks_like_temp_rel_name).
bool looks_like_temp_relation(std::string_view name) {
  if (name.size() < 4 || name[0] != 't') return false;
  const auto underscore = name.find('_', 1);
  if (underscore == std::string_view::npos || !all_digits(name.substr(1, underscore - 1))) return false;
  auto rest = name.substr(underscore + 1);
  size_t digits = 0;
  while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
  if (digits == 0) return false;
  rest = rest.substr(digits);
  for (auto fork : {std::string_view("_fsm"), std::string_view("_vm"), std::string_view("_init")}) {
    if (rest.starts_with(fork)) {
      rest = rest.substr(fork.size());
      break;
    }
  }
  if (rest.empty()) return true;
  return rest[0] == '.' && all_digits(rest.substr(1));
}

bool in_database_directory(std::string_view rel) {
  // base/<oid>/<file> or pg_tblspc/<oid>/PG_<ver>_<cat>/<oid>/<file>
  return rel.starts_with("base/") || rel.starts_with("pg_tblspc/");
}

}  // namespace

bool is_excluded(std::string_view rel) {
  if (rel == kOwnDir || (rel.starts_with(kOwnDir) && rel.size() > kOwnDir.size() && rel[kOwnDir.size()] == '/')) {
    return true;
  }
  for (auto dir : kContentsExcludedDirs) {
    if (rel.size() > dir.size() && rel.starts_with(dir) && rel[dir.size()] == '/') return true;
  }
  const auto name = basename(rel);
  if (name.starts_with("pgsql_tmp") || name.starts_with("pg_internal.init")) return true;
  for (auto excluded : kExcludedNames)
    if (name == excluded) return true;
  if (in_database_directory(rel) && looks_like_temp_relation(name)) return true;
  return false;
}

std::string refused_marker(std::string_view rel) {
  for (auto refused : kRefusedTopFiles)
    if (rel == refused) return std::string(refused);
  return {};
}

bool is_wal_segment_name(std::string_view name) {
  if (name.size() != 24) return false;
  for (char c : name)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace dm::pgmover
