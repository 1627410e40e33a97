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
}  // namespace

int64_t now_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_REALTIME, &t);
  return ns(t);
}

bool settled(const FileFacts& facts, int64_t stat_begin_ns) {
  return facts.ctime_ns + kTickMarginNs < stat_begin_ns;
}

void wait_until_settled(int64_t newest_ctime_ns) {
  const int64_t wait = std::min(newest_ctime_ns + kTickMarginNs - now_ns() + 1, 3 * kTickMarginNs);
  if (wait > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(wait));
}

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

void save_state(const fs::path& pgdata, const RestoreState& s) {
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
}

}  // namespace dm::pgmover
