#include "support/test_support.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace dm::test {

namespace fs = std::filesystem;

namespace {
fs::path temp_base() {
  const char* base = std::getenv("TMPDIR");
  return base && *base ? base : "/tmp";
}
}  // namespace

TempDir::TempDir() : TempDir(temp_base()) {}

TempDir::TempDir(const fs::path& base) {
  std::string tmpl = (base / "dmtest.XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed under " + base.string());
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string gen_bytes(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i % 251);
  return s;
}

std::string random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t v = rng();
    std::copy_n(reinterpret_cast<const char*>(&v), 8, s.data() + i);
  }
  for (; i < n; ++i) s[i] = static_cast<char>(rng());
  return s;
}

void write_file(const fs::path& path, const std::string& data) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  // errno of the failed open, so that a failure in a mount says which (ENOENT, EIO, ENOTCONN...).
  if (!in) throw std::runtime_error("cannot read " + path.string() + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

// The test's environment with the "K=V" entries of `env` replacing or adding.
std::vector<std::string> merged_environment(const std::vector<std::string>& env) {
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) envs.emplace_back(*e);
  for (const auto& kv : env) {
    const auto key = kv.substr(0, kv.find('=') + 1);
    envs.erase(std::remove_if(envs.begin(), envs.end(), [&](const std::string& s) { return s.rfind(key, 0) == 0; }),
               envs.end());
    envs.push_back(kv);
  }
  return envs;
}

}  // namespace

process::Child spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env, const fs::path& out,
                     const fs::path& err) {
  process::SpawnOptions options;
  options.environment = merged_environment(env);
  options.in = process::Stream::null();
  options.out = process::Stream::to_file(out);
  options.err = err == out ? process::Stream::same_as_stdout() : process::Stream::to_file(err);
  return process::spawn(argv, options);
}

RunResult run(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  TempDir tmp;
  const auto out_path = tmp / "out";
  const auto err_path = tmp / "err";
  RunResult r;
  try {
    r.exit_code = spawn(argv, env, out_path, err_path).wait().shell_code();
  } catch (const std::runtime_error& e) {
    r.err = e.what();
    return r;
  }
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  return r;
}

RunResult datamon(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<std::string> argv{DATAMON_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, env);
}

std::vector<std::pair<std::string, std::string>> tree_contents(const fs::path& root,
                                                               const std::vector<std::string>& skip_top) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    const auto rel = it->path().lexically_relative(root).generic_string();
    const auto top = rel.substr(0, rel.find('/'));
    if (std::find(skip_top.begin(), skip_top.end(), top) != skip_top.end()) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) out.emplace_back(rel, read_file(it->path()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return true;
  std::string stat;
  try {
    stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  } catch (const std::exception&) {
    return true;
  }
  const auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

void wait_for_next_second() {
  const auto start = std::time(nullptr);
  while (std::time(nullptr) == start) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

}  // namespace dm::test
