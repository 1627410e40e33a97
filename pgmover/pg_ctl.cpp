#include "pgmover/pg_ctl.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <thread>

#include "common/util/error.h"
#include "common/util/files.h"
#include "pgmover/exclusions.h"
#include "pgmover/layout_manifest.h"
#include "pgmover/ownership.h"

namespace fs = std::filesystem;

namespace dm::pgmover {

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

void require_no_quote(const std::string& value, const std::string& what) {
  if (value.find('\'') != std::string::npos || value.find('\\') != std::string::npos) {
    throw Error(ErrorKind::InvalidArgument, what + " '" + value + "' must not contain quotes or backslashes");
  }
}

std::string quote_identifier(const std::string& name) {
  std::string q = "\"";
  for (char c : name) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

std::uintmax_t size_or_zero(const fs::path& file) {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  return ec ? 0 : size;
}

}  // namespace

std::optional<fs::path> installed_bindir(int major) {
  const fs::path dir = fs::path("/usr/lib/postgresql") / std::to_string(major) / "bin";
  std::error_code ec;
  if (fs::exists(dir / "postgres", ec)) return dir;
  return std::nullopt;
}

PgBinaries find_binaries(const fs::path& bindir) {
  PgBinaries b;
  if (!bindir.empty()) {
    b.bindir = bindir;
  } else {
    int best = -1;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
      const auto name = entry.path().filename().string();
      if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
      const int major = std::stoi(name);
      if (major > best && fs::exists(entry.path() / "bin" / "postgres", ec)) best = major;
    }
    if (best < 0) {
      throw Error(ErrorKind::NotFound,
                  "no PostgreSQL server under /usr/lib/postgresql (install postgresql, or --pg-bin)");
    }
    b.bindir = fs::path("/usr/lib/postgresql") / std::to_string(best) / "bin";
  }
  const auto out = run_program({(b.bindir / "postgres").string(), "--version"}, current_user());
  // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
  const auto marker = out.output.find(") ");
  if (out.exit_code != 0 || marker == std::string::npos) {
    throw Error(ErrorKind::NotFound,
                "'" + (b.bindir / "postgres").string() + "' is not a PostgreSQL server: " + last_line(out.output));
  }
  auto rest = out.output.substr(marker + 2);
  b.version = rest.substr(0, rest.find_first_of(" \n"));
  b.major = std::atoi(b.version.c_str());
  if (b.major <= 0) throw Error(ErrorKind::NotFound, "cannot read the version of '" + b.bindir.string() + "'");
  return b;
}

int parse_major(const std::string& text, const std::string& what) {
  const auto t = trim(text);
  if (t.empty() || !std::isdigit(static_cast<unsigned char>(t[0]))) {
    throw Error(ErrorKind::InvalidArgument, what + " has no PostgreSQL version in PG_VERSION ('" + t + "')");
  }
  return std::atoi(t.c_str());
}

void check_version(int data_major, const PgBinaries& server, const std::string& what, const fs::path& old_bindir) {
  if (data_major == server.major) return;
  const std::string both = what + " holds PostgreSQL " + std::to_string(data_major) +
                           " data but the server binaries are PostgreSQL " + std::to_string(server.major) + " (" +
                           server.bindir.string() + ")";
  if (data_major > server.major) {
    throw Error(ErrorKind::InvalidArgument, both + "; a newer cluster cannot be run by older binaries");
  }
  std::error_code ec;
  const bool have_old =
      old_bindir.empty() ? installed_bindir(data_major).has_value() : fs::exists(old_bindir / "postgres", ec);
  if (!have_old) {
    throw Error(ErrorKind::InvalidArgument,
                both + "; PostgreSQL " + std::to_string(data_major) + " binaries are not installed" +
                    (old_bindir.empty() ? "" : " in '" + old_bindir.string() + "'") + ", so it cannot be upgraded");
  }
  throw Error(ErrorKind::InvalidArgument, both + "; restore with --upgrade to run pg_upgrade");
}

std::optional<long> running_postmaster(const fs::path& pgdata) {
  std::ifstream in(pgdata / "postmaster.pid");
  if (!in) return std::nullopt;
  std::string first;
  std::getline(in, first);
  char* end = nullptr;
  const long pid = std::strtol(first.c_str(), &end, 10);
  if (pid <= 0) return 0;  // present but unreadable: assume a server is starting
  if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) return pid;
  return std::nullopt;
}

std::string last_lines(const std::string& text, size_t count) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    if (end > start) lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  std::string out;
  for (size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i) {
    if (!out.empty()) out += " | ";
    out += lines[i];
  }
  return out;
}

void require_no_server(const fs::path& pgdata, const std::string& advice) {
  if (auto pid = running_postmaster(pgdata)) {
    throw Error(ErrorKind::InvalidArgument, "a server is running on " + dm::quoted(pgdata.string()) + " (pid " +
                                                std::to_string(*pid) + ")" + (advice.empty() ? "" : "; " + advice));
  }
}

std::string first_server_failure(std::string_view log) {
  for (const std::string_view level : {"FATAL:", "PANIC:"}) {
    const auto at = log.find(level);
    if (at == std::string_view::npos) continue;
    return std::string(log.substr(at, log.find('\n', at) - at));
  }
  return {};
}

PgCtl::PgCtl(const fs::path& pgdata, OsUser user, PgBinaries binaries)
    : pgdata_(fs::absolute(pgdata).lexically_normal()), user_(std::move(user)), binaries_(std::move(binaries)) {
  if (!pgdata_.empty() && pgdata_.filename().empty()) pgdata_ = pgdata_.parent_path();
}

RunOutput PgCtl::run(const std::string& program, std::vector<std::string> args, const std::string& input) {
  args.insert(args.begin(), (binaries_.bindir / program).string());
  spdlog::debug("run user={} cmd={}", user_.name, args[0]);
  return run_program(args, user_, input);
}

fs::path PgCtl::log_file() const {
  return pgdata_ / std::string(kOwnDir) / "server.log";
}

std::string PgCtl::log_since(std::uintmax_t offset) const {
  try {
    const auto log = read_file(log_file());
    return log.substr(std::min<size_t>(log.size(), offset));
  } catch (const Error&) {
    return {};
  }
}

void PgCtl::fix_ownership() {
  if (::geteuid() != 0) return;
  give_to(pgdata_, user_);
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(pgdata_, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    give_to(it->path(), user_);
  }
  if (ec) throw Error(ErrorKind::Io, "cannot walk '" + pgdata_.string() + "': " + ec.message());
  struct stat st {};
  if (::stat(pgdata_.c_str(), &st) != 0) throw_errno("cannot stat", pgdata_.string());
  const unsigned mode = st.st_mode & 07777;
  if (mode != 0700 && mode != 0750 && ::chmod(pgdata_.c_str(), 0700) != 0)
    throw_errno("cannot chmod", pgdata_.string());
}

std::map<std::string, std::string> PgCtl::controldata() {
  // pg_controldata only reads; as root it needs no privilege drop, which also works on a
  // directory not yet given to the server's user.
  const auto out = run_program({(binaries_.bindir / "pg_controldata").string(), "-D", pgdata_.string()},
                               ::geteuid() == 0 ? current_user() : user_);
  if (out.exit_code != 0) {
    throw Error(ErrorKind::InvalidArgument,
                "pg_controldata cannot read '" + pgdata_.string() + "': " + last_line(out.output));
  }
  std::map<std::string, std::string> facts;
  size_t pos = 0;
  while (pos < out.output.size()) {
    auto eol = out.output.find('\n', pos);
    if (eol == std::string::npos) eol = out.output.size();
    const auto line = out.output.substr(pos, eol - pos);
    pos = eol + 1;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    facts[line.substr(0, colon)] = trim(line.substr(colon + 1));
  }
  return facts;
}

void PgCtl::init(const std::string& owner, bool data_checksums) {
  std::error_code ec;
  if (fs::exists(pgdata_, ec) && !fs::is_empty(pgdata_, ec)) {
    throw Error(ErrorKind::AlreadyExists, "'" + pgdata_.string() + "' is not empty; initdb needs an empty directory");
  }
  fs::create_directories(pgdata_, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create '" + pgdata_.string() + "': " + ec.message());
  if (::chmod(pgdata_.c_str(), 0700) != 0) throw_errno("cannot chmod", pgdata_.string());
  fix_ownership();
  std::vector<std::string> args = {"-D",          pgdata_.string(), "--encoding=UTF8",
                                   "--no-locale", "--auth=trust",   "--username=" + user_.name};
  if (data_checksums) args.push_back("--data-checksums");
  const auto out = run("initdb", args);
  if (out.exit_code != 0) {
    throw Error(ErrorKind::Io, "initdb failed for '" + pgdata_.string() + "': " + last_line(out.output));
  }
  if (!owner.empty() && owner != user_.name) {
    // Single-user mode: no server, no socket, no port to collide with; ends with a clean shutdown.
    const auto sql = "CREATE ROLE " + quote_identifier(owner) + " SUPERUSER LOGIN;\n";
    const auto role = run("postgres", {"--single", "-D", pgdata_.string(), "postgres"}, sql);
    if (role.exit_code != 0 || role.output.find("ERROR:") != std::string::npos) {
      throw Error(ErrorKind::InvalidArgument,
                  "cannot create role '" + owner + "' in '" + pgdata_.string() + "': " + last_line(role.output));
    }
  }
  ensure_go_pg_version();
}

void PgCtl::ensure_go_pg_version() {
  const auto path = pgdata_ / kGoVersionFile;
  const int major = parse_major(read_file(pgdata_ / "PG_VERSION"), dm::quoted(pgdata_.string()));
  const std::string text =
      (binaries_.major == major && !binaries_.version.empty() ? binaries_.version : std::to_string(major)) + "\n";
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && read_file(path) == text) return;
  write_file_atomic(path, text, 0600, AtomicWrite::Replace);
  give_to(path, user_);
}

void PgCtl::pg_ctl_start(const StartOptions& o) {
  require_no_quote(o.listen, "--listen");
  require_no_quote(o.socket_dir.string(), "socket directory");
  std::error_code ec;
  const auto own = pgdata_ / std::string(kOwnDir);
  fs::create_directories(own, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create '" + own.string() + "': " + ec.message());
  give_to(own, user_);
  // pg_ctl hands -o to a shell: every value is single-quoted and checked above.
  const std::string opts =
      "-p " + std::to_string(o.port) + " -c listen_addresses='" + o.listen + "' -k '" + o.socket_dir.string() + "'";
  const auto log_offset = size_or_zero(log_file());
  // pg_ctl's -t 0 would not wait at all (and leave the postmaster it launched starting up
  // unseen); 0 here means no limit, which for pg_ctl is a year.
  const int wait_seconds = o.timeout_seconds > 0 ? o.timeout_seconds : 365 * 24 * 3600;
  const auto out = run("pg_ctl", {"start", "-w", "-t", std::to_string(wait_seconds), "-D", pgdata_.string(), "-l",
                                  log_file().string(), "-o", opts});
  if (out.exit_code != 0) {
    auto why = first_server_failure(log_since(log_offset));
    if (why.empty()) why = last_line(out.output);
    throw Error(ErrorKind::Unavailable, "PostgreSQL did not start on '" + pgdata_.string() + "': " + why);
  }
}

void PgCtl::wait_ready(const StartOptions& o) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_seconds);
  std::string last;
  for (;;) {
    const auto out = run("psql", {"-h", o.socket_dir.string(), "-p", std::to_string(o.port), "-U", user_.name, "-d",
                                  "postgres", "-XAtqc", "select pg_is_in_recovery()"});
    if (out.exit_code == 0 && trim(out.output) == "f") return;
    last = out.exit_code == 0 ? "still in recovery" : last_line(out.output);
    if (o.timeout_seconds > 0 && std::chrono::steady_clock::now() > deadline) {
      throw Error(ErrorKind::Unavailable, "PostgreSQL on '" + pgdata_.string() + "' is not ready after " +
                                              std::to_string(o.timeout_seconds) + " s: " + last);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

void PgCtl::check_startable() {
  require_no_server(pgdata_, "");
  const auto what = dm::quoted(pgdata_.string());
  check_version(parse_major(read_file(pgdata_ / "PG_VERSION"), what), binaries_, what);
  fix_ownership();
}

void PgCtl::start(const StartOptions& o) {
  check_startable();
  const auto log_offset = size_or_zero(log_file());
  try {
    pg_ctl_start(o);
    wait_ready(o);
  } catch (const Error& e) {
    // A failed start leaves nothing running: pg_ctl gives up waiting (-t) but the postmaster it
    // launched goes on, holding the port and the data folder.
    std::string stopped;
    if (running_postmaster(pgdata_)) {
      try {
        pg_ctl_stop();
        stopped = "; the server was stopped";
      } catch (const Error& stop_error) {
        stopped = std::string("; stopping the server failed too: ") + stop_error.what();
      }
    }
    const auto tail = last_lines(log_since(log_offset), 5);
    std::string message = e.what();
    message += stopped;
    message += "; server log ";
    message += dm::quoted(log_file().string());
    if (!tail.empty()) message += ", last lines: " + tail;
    throw Error(e.kind(), message);
  }
}

void PgCtl::pg_ctl_stop() {
  if (!fs::exists(pgdata_ / "postmaster.pid")) return;
  const auto out = run("pg_ctl", {"stop", "-D", pgdata_.string(), "-m", "fast", "-w", "-t", "120"});
  if (auto pid = running_postmaster(pgdata_)) {
    throw Error(ErrorKind::Unavailable, "the server on '" + pgdata_.string() + "' (pid " + std::to_string(*pid) +
                                            ") did not stop: " + last_line(out.output));
  }
}

void PgCtl::stop() {
  pg_ctl_stop();
  auto state = controldata()["Database cluster state"];
  if (state == "shut down") return;
  if (state == "shut down in recovery") {
    throw Error(
        ErrorKind::InvalidArgument,
        "'" + pgdata_.string() + "' is a stopped standby ('shut down in recovery'); only primaries are supported");
  }
  // A crash left the cluster unclean: let recovery finish, then stop it properly. The server
  // listens only on a private socket so that no client connects meanwhile.
  spdlog::warn("cluster={} state='{}': starting it once to recover, then stopping it cleanly", pgdata_.string(), state);
  StartOptions recover;
  recover.listen = "";
  recover.socket_dir = pgdata_ / std::string(kOwnDir);
  if (recover.socket_dir.string().size() > 90) recover.socket_dir = "/tmp";
  recover.port = 5432;
  if (::unlink((pgdata_ / "postmaster.pid").c_str()) != 0 && errno != ENOENT) {
    throw_errno("cannot remove the stale", (pgdata_ / "postmaster.pid").string());
  }
  fix_ownership();
  pg_ctl_start(recover);
  wait_ready(recover);
  pg_ctl_stop();
  state = controldata()["Database cluster state"];
  if (state != "shut down") {
    throw Error(ErrorKind::Unavailable,
                "'" + pgdata_.string() + "' is still '" + state + "' after a recovery start and a fast stop");
  }
}

std::map<std::string, std::string> PgCtl::require_clean_shutdown() {
  require_no_server(pgdata_, "stop it first (datamon pg stop)");
  if (fs::exists(pgdata_ / "postmaster.pid")) {
    throw Error(ErrorKind::InvalidArgument, "'" + pgdata_.string() +
                                                "' has a postmaster.pid but no server: it was not shut down cleanly "
                                                "(run datamon pg stop)");
  }
  auto facts = controldata();
  const auto state = facts["Database cluster state"];
  if (state != "shut down") {
    throw Error(ErrorKind::InvalidArgument,
                "'" + pgdata_.string() + "' is '" + state + "', not cleanly shut down (run datamon pg stop)");
  }
  return facts;
}

}  // namespace dm::pgmover
