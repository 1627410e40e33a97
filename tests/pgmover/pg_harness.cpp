#include "pgmover/pg_harness.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <sstream>
#include <stdexcept>

#include "pgmover/layout_manifest.h"

namespace fs = std::filesystem;

namespace dm::test::pg {

Harness::Harness() {
  // The server runs as postgres: it must be able to reach data directories in here.
  fs::permissions(tmp_.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  auto r = dm({"context", "create", "--blob", "dev-blob", "--meta", "dev-meta", "--vmeta", "dev-vmeta", "--wal",
               "dev-wal", "--read-log", "dev-readlog"});
  if (r.exit_code != 0) throw std::runtime_error("context create: " + r.err);
  r = dm({"repo", "create", "--repo", "pg", "--description", "pgmover tests"});
  if (r.exit_code != 0) throw std::runtime_error("repo create: " + r.err);
}

RunResult Harness::dm(std::vector<std::string> args) const {
  args.insert(args.begin(), {"--config", "file://" + (tmp_ / "config").string()});
  return datamon(args, {"DATAMON_NAME=pgmover-test", "DATAMON_EMAIL=test@example.com"});
}

RunResult Harness::as_postgres(const std::string& program, const std::vector<std::string>& args,
                               const std::string& bindir) {
  std::vector<std::string> argv{"/usr/sbin/runuser", "-u", "postgres", "--", bindir + "/" + program};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, {"LC_ALL=C", "PGCONNECT_TIMEOUT=10"});
}

std::string Harness::sql(int port, const std::string& query, const std::string& db) {
  const auto r = as_postgres("psql", {"-h", "/tmp", "-p", std::to_string(port), "-U", "postgres", "-d", db, "-XAtq",
                                      "-v", "ON_ERROR_STOP=1", "-c", query});
  if (r.exit_code != 0) throw std::runtime_error("psql '" + query + "': " + r.err + r.out);
  return r.out;
}

std::string Harness::dumpall(int port) {
  const auto r = as_postgres("pg_dumpall", {"-h", "/tmp", "-p", std::to_string(port), "-U", "postgres"});
  if (r.exit_code != 0) throw std::runtime_error("pg_dumpall: " + r.err);
  // Since 15.14 every dump carries random \restrict keys; they say nothing about the data.
  std::string dump;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("\\restrict ") || line.starts_with("\\unrestrict ")) continue;
    dump += line + "\n";
  }
  return dump;
}

int free_port() {
  static std::atomic<int> next{55432 + static_cast<int>(::getpid() % 400)};
  for (int tries = 0; tries < 500; ++tries) {
    const int port = next++;
    if (port > 56400) next = 55432;
    if (fs::exists("/tmp/.s.PGSQL." + std::to_string(port) + ".lock")) continue;
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (bound) return port;
  }
  throw std::runtime_error("no free port between 55432 and 56400");
}

ServerGuard::~ServerGuard() {
  if (!fs::exists(pgdata_ / "postmaster.pid")) return;
  (void)Harness::as_postgres("pg_ctl", {"stop", "-D", pgdata_.string(), "-m", "fast", "-w", "-t", "60"});
}

void expect_ok(const RunResult& r, const std::string& what) {
  ASSERT_EQ(r.exit_code, 0) << what << "\nstdout: " << r.out << "\nstderr: " << r.err;
}

std::map<std::string, std::string> fields(const std::string& output) {
  std::map<std::string, std::string> f;
  std::istringstream words(output);
  std::string w;
  while (words >> w) {
    const auto eq = w.find('=');
    if (eq != std::string::npos) f[w.substr(0, eq)] = w.substr(eq + 1);
  }
  return f;
}

uint64_t number(const std::map<std::string, std::string>& f, const std::string& key) {
  auto it = f.find(key);
  if (it == f.end()) throw std::runtime_error("no field '" + key + "'");
  return std::stoull(it->second);
}

std::string bundle_id(const std::string& output) {
  const std::string marker = "Uploaded bundle id:";
  const auto at = output.find(marker);
  if (at == std::string::npos) return {};
  return output.substr(at + marker.size(), output.find('\n', at) - at - marker.size());
}

std::map<std::string, std::string> shape(const fs::path& pgdata) {
  std::map<std::string, std::string> out;
  struct stat st {};
  ::stat(pgdata.c_str(), &st);
  out[""] = "dir " + std::to_string(st.st_mode & 07777);
  for (auto it = fs::recursive_directory_iterator(pgdata); it != fs::recursive_directory_iterator(); ++it) {
    const auto rel = it->path().lexically_relative(pgdata).generic_string();
    if (rel == ".datamon-pg") {
      it.disable_recursion_pending();
      continue;
    }
    ::lstat(it->path().c_str(), &st);
    if (S_ISLNK(st.st_mode)) {
      out[rel] = "link " + fs::read_symlink(it->path()).string();
    } else if (S_ISDIR(st.st_mode)) {
      out[rel] = "dir " + std::to_string(st.st_mode & 07777);
    } else {
      out[rel] = "file " + std::to_string(st.st_mode & 07777);
    }
  }
  return out;
}

std::string controldata_state(const fs::path& pgdata, const std::string& bindir) {
  const auto r = run({bindir + "/pg_controldata", "-D", pgdata.string()}, {"LC_ALL=C"});
  const std::string key = "Database cluster state:";
  const auto at = r.out.find(key);
  if (at == std::string::npos) return "(unknown)";
  auto v = r.out.substr(at + key.size(), r.out.find('\n', at) - at - key.size());
  return v.substr(v.find_first_not_of(' '));
}

namespace {

void require_ok(const RunResult& r, const std::string& what) {
  if (r.exit_code != 0) throw std::runtime_error(what + " failed: " + r.out + r.err);
}

}  // namespace

void give_to_postgres(const fs::path& root) {
  const auto* pw = ::getpwnam("postgres");
  if (pw == nullptr) throw std::runtime_error("no postgres user");
  if (::lchown(root.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("cannot chown " + root.string());
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (::lchown(e.path().c_str(), pw->pw_uid, pw->pw_gid) != 0)
      throw std::runtime_error("cannot chown " + e.path().string());
  }
}

void go_style_start(const fs::path& pgdata, int port, const fs::path& logs, const std::string& bindir) {
  fs::create_directories(logs);
  give_to_postgres(logs);
  const auto log = (logs / (pgdata.filename().string() + ".log")).string();
  const auto r = Harness::as_postgres(
      "pg_ctl",
      {"-D", pgdata.string(), "-o", "-p " + std::to_string(port) + " -k /tmp -c listen_addresses=''", "-l", log, "-w",
       "-t", "120", "start"},
      bindir);
  if (r.exit_code != 0) {
    std::string server_log;
    try {
      server_log = read_file(log);
    } catch (const std::exception& e) {
      server_log = e.what();
    }
    throw std::runtime_error("pg_ctl start: " + r.out + r.err + "\nserver log: " + server_log);
  }
}

std::string make_go_cluster(const Harness& h, const fs::path& pgdata, const std::string& go_version,
                            const std::string& bindir, const std::function<void(int port)>& fill) {
  // What the Go sidecar does with no source: initdb, pg_version, start, (the app writes), then
  // after VACUUM and CHECKPOINT an immediate stop; the upload comes after.
  fs::create_directory(pgdata);
  give_to_postgres(pgdata);
  ::chmod(pgdata.c_str(), 0750);
  require_ok(Harness::as_postgres(
                 "initdb", {"--no-locale", "--encoding", "UTF8", "-D", pgdata.string(), "-U", "postgres"}, bindir),
             "initdb");
  write_file(pgdata / pgmover::kGoVersionFile, go_version + "\n");
  give_to_postgres(pgdata);
  const int port = free_port();
  go_style_start(pgdata, port, h.dir("logs"), bindir);
  fill(port);
  Harness::sql(port, "VACUUM");
  const auto dump = Harness::dumpall(port);
  Harness::sql(port, "CHECKPOINT");
  require_ok(Harness::as_postgres("pg_ctl", {"-D", pgdata.string(), "-m", "immediate", "-w", "stop"}, bindir),
             "immediate stop");
  if (controldata_state(pgdata, bindir) != "in production")  // a crash stop: recovery runs at the next start
    throw std::runtime_error("the Go-style cluster is '" + controldata_state(pgdata, bindir) +
                             "' after an immediate stop");
  write_file(pgdata / "postmaster.pid", "99999\n");  // what a killed server would leave; never restored
  return dump;
}

std::string upload_as_go(const Harness& h, const fs::path& dir) {
  const auto r = h.dm({"bundle", "upload", "--path", dir.string(), "--repo", "pg", "--message", "go sidecar",
                       "--format", "{{.BundleID}}"});
  require_ok(r, "bundle upload");
  return r.out.substr(0, r.out.find('\n'));
}

}  // namespace dm::test::pg
