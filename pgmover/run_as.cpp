#include "pgmover/run_as.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "common/util/error.h"

namespace dm::pgmover {

namespace {

OsUser from_passwd(const passwd& pw) {
  return {pw.pw_name, pw.pw_uid, pw.pw_gid, pw.pw_dir ? pw.pw_dir : "/"};
}

void write_all_fd(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // the child stopped reading; its exit code tells the story
    }
    done += static_cast<size_t>(n);
  }
}

}  // namespace

OsUser lookup_user(const std::string& name) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    throw Error(ErrorKind::InvalidArgument, "user '" + name + "' does not exist (--run-as)");
  }
  return from_passwd(pw);
}

OsUser current_user() {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(::geteuid(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return {"uid" + std::to_string(::geteuid()), ::geteuid(), ::getegid(), "/"};
  }
  return from_passwd(pw);
}

RunOutput run_program(const std::vector<std::string>& argv, const OsUser& as, const std::string& input,
                      const std::string& cwd) {
  int out_pipe[2];
  int in_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw_errno("cannot create a pipe for", argv[0]);
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw_errno("cannot create a pipe for", argv[0]);
  }
  // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  const std::string home = "HOME=" + as.home;
  const std::string user = "USER=" + as.name;
  const std::string bindir = argv[0].substr(0, argv[0].rfind('/'));
  const std::string path = "PATH=" + bindir + ":/usr/bin:/bin";
  std::vector<std::string> env = {home, user, "LOGNAME=" + as.name, path, "LC_ALL=C", "LANG=C"};
  std::vector<char*> cenv;
  cenv.reserve(env.size() + 1);
  for (auto& e : env) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  const std::string workdir = cwd.empty() ? "/" : cwd;
  const bool drop = ::geteuid() == 0 && as.uid != 0;
  std::vector<gid_t> groups(64);
  int ngroups = static_cast<int>(groups.size());
  if (drop && ::getgrouplist(as.name.c_str(), as.gid, groups.data(), &ngroups) < 0) ngroups = 1, groups[0] = as.gid;

  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("cannot fork to run", argv[0]);
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(out_pipe[1], 2);
    if (drop) {
      if (::setgroups(static_cast<size_t>(ngroups), groups.data()) != 0 || ::setgid(as.gid) != 0 ||
          ::setuid(as.uid) != 0) {
        static const char msg[] = "datamon: cannot switch to the server's user\n";
        (void)!::write(2, msg, sizeof msg - 1);
        ::_exit(126);
      }
    }
    if (::chdir(workdir.c_str()) != 0) {
      static const char msg[] = "datamon: cannot enter the working directory\n";
      (void)!::write(2, msg, sizeof msg - 1);
      ::_exit(126);
    }
    ::umask(077);
    ::execve(cargv[0], cargv.data(), cenv.data());
    static const char msg[] = "datamon: cannot execute the program\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  // Feed stdin from another thread so a chatty child can never block us both.
  std::thread feeder([fd = in_pipe[1], &input] {
    // A child that exits without reading must give us EPIPE, not kill us with SIGPIPE.
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
    write_all_fd(fd, input);
    ::close(fd);
  });
  RunOutput result;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(out_pipe[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buf, static_cast<size_t>(n));
  }
  ::close(out_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  feeder.join();
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string last_line(const std::string& output) {
  size_t end = output.size();
  while (end > 0) {
    while (end > 0 && (output[end - 1] == '\n' || output[end - 1] == ' ')) --end;
    const size_t start = output.rfind('\n', end == 0 ? 0 : end - 1);
    const size_t from = start == std::string::npos ? 0 : start + 1;
    if (end > from) return output.substr(from, end - from);
    if (start == std::string::npos) break;
    end = start;
  }
  return "(no output)";
}

}  // namespace dm::pgmover
