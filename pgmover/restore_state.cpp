#include "pgmover/restore_state.h"

#include <spdlog/spdlog.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/util/error.h"
#include "common/util/files.h"
#include "pgmover/exclusions.h"
#include "pgmover/ownership.h"

namespace fs = std::filesystem;

namespace dm::pgmover {

namespace {
int64_t ns(const timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}
// Larger than the coarse clock tick file times use (at most 10 ms, HZ >= 100).
constexpr int64_t kTickMarginNs = 20'000'000;
// Older records were written without the settled rule: their per-file facts are not trusted.
constexpr int kFormat = 2;

// Nanoseconds of the real-time clock (the clock file times come from).
int64_t now_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_REALTIME, &t);
  return ns(t);
}

// True when `facts`, taken by a stat that started at `stat_begin_ns`, may be recorded: its
// ctime is far enough in the past that any later write gets a different one.
bool settled(const FileFacts& facts, int64_t stat_begin_ns) {
  return facts.ctime_ns + kTickMarginNs < stat_begin_ns;
}

// Sleeps (at most a few clock ticks) until files whose newest ctime is `newest_ctime_ns` are
// settled for a stat that starts after the return.
void wait_until_settled(int64_t newest_ctime_ns) {
  const int64_t wait = std::min(newest_ctime_ns + kTickMarginNs - now_ns() + 1, 3 * kTickMarginNs);
  if (wait > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(wait));
}

}  // namespace

FileFacts facts_of(const struct stat& st, const std::string& key) {
  return {static_cast<uint64_t>(st.st_dev),
          static_cast<uint64_t>(st.st_ino),
          static_cast<uint64_t>(st.st_size),
          ns(st.st_mtim),
          ns(st.st_ctim),
          key};
}

bool unchanged(const struct stat& st, const FileFacts& r) {
  return static_cast<uint64_t>(st.st_dev) == r.dev && static_cast<uint64_t>(st.st_ino) == r.ino &&
         static_cast<uint64_t>(st.st_size) == r.size && ns(st.st_mtim) == r.mtime_ns && ns(st.st_ctim) == r.ctime_ns;
}

FileFacts stat_facts(const fs::path& path, const std::string& key) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) throw_errno("cannot stat", path.string());
  return facts_of(st, key);
}

StatSnapshot take_snapshot(const std::map<std::string, fs::path>& paths) {
  StatSnapshot snapshot;
  snapshot.begin_ns = now_ns();
  for (const auto& [name, path] : paths) snapshot.files[name] = stat_facts(path, "");
  return snapshot;
}

std::optional<FileFacts> recordable(const StatSnapshot& snapshot, const std::string& name, const fs::path& path,
                                    const std::string& key) {
  const auto it = snapshot.files.find(name);
  if (it == snapshot.files.end() || !settled(it->second, snapshot.begin_ns)) return std::nullopt;
  struct stat now {};
  if (::lstat(path.c_str(), &now) != 0 || !unchanged(now, it->second)) return std::nullopt;
  auto recorded = it->second;
  recorded.key = key;
  return recorded;
}

std::map<std::string, FileFacts> settled_record(const fs::path& pgdata,
                                                const std::map<std::string, std::string>& keys) {
  std::map<std::string, fs::path> paths;
  for (const auto& [name, key] : keys) paths.emplace(name, pgdata / name);
  int64_t newest = 0;
  for (const auto& [name, facts] : take_snapshot(paths).files) newest = std::max(newest, facts.ctime_ns);
  wait_until_settled(newest);
  // Stats that begin once every file is settled: none of them can have changed in the same tick.
  const auto snapshot = take_snapshot(paths);
  std::map<std::string, FileFacts> record;
  for (const auto& [name, facts] : snapshot.files) {
    if (!settled(facts, snapshot.begin_ns)) continue;
    record[name] = facts;
    record[name].key = keys.at(name);
  }
  return record;
}

fs::path state_path(const fs::path& pgdata) {
  return pgdata / std::string(kOwnDir) / "state.json";
}

std::optional<RestoreState> load_state(const fs::path& pgdata) {
  const auto path = state_path(pgdata);
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  try {
    const auto j = nlohmann::json::parse(read_file(path));
    RestoreState s;
    s.repo = j.at("repo").get<std::string>();
    s.bundle = j.at("bundle").get<std::string>();
    if (j.value("format", 1) != kFormat) return s;
    for (const auto& [name, f] : j.at("files").items()) {
      s.files[name] = {f.at(0).get<uint64_t>(), f.at(1).get<uint64_t>(), f.at(2).get<uint64_t>(),
                       f.at(3).get<int64_t>(),  f.at(4).get<int64_t>(),  f.at(5).get<std::string>()};
    }
    return s;
  } catch (const std::exception& e) {
    spdlog::warn("ignoring unreadable restore record file={} reason={}", path.string(), e.what());
    return std::nullopt;
  }
}

void save_state(const fs::path& pgdata, const RestoreState& s, const OsUser& owner) {
  nlohmann::json j;
  j["format"] = kFormat;
  j["repo"] = s.repo;
  j["bundle"] = s.bundle;
  auto& files = j["files"] = nlohmann::json::object();
  for (const auto& [name, f] : s.files) files[name] = {f.dev, f.ino, f.size, f.mtime_ns, f.ctime_ns, f.key};
  const auto dir = pgdata / std::string(kOwnDir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create '" + dir.string() + "': " + ec.message());
  write_file_atomic(state_path(pgdata), j.dump(), 0600, AtomicWrite::Replace);
  give_to(dir, owner);
  give_to(state_path(pgdata), owner);
}

}  // namespace dm::pgmover
