#include "pgmover/run_as.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
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

process::Credentials credentials_of(const OsUser& user) {
  return {user.uid, user.gid, process::groups_of_user(user.name, user.gid)};
}

RunOutput run_program(const std::vector<std::string>& argv, const OsUser& as, const std::string& input,
                      const std::string& cwd) {
  const std::string bindir = argv[0].substr(0, argv[0].rfind('/'));
  process::SpawnOptions options;
  options.environment = std::vector<std::string>{"HOME=" + as.home,    "USER=" + as.name,
                                                 "LOGNAME=" + as.name, "PATH=" + bindir + ":/usr/bin:/bin",
                                                 "LC_ALL=C",           "LANG=C"};
  options.working_dir = cwd.empty() ? "/" : cwd;
  if (::geteuid() == 0 && as.uid != 0) options.run_as = credentials_of(as);
  options.in = process::Stream::pipe();
  options.out = process::Stream::pipe();
  options.err = process::Stream::same_as_stdout();
  options.umask = 077;
  // The mask is the caller's, as pg_ctl has always been given it (PostgreSQL sets its own).
  options.reset_signal_mask = false;
  auto child = process::spawn(argv, options);
  // Feed stdin from another thread so a chatty child can never block us both.
  std::thread feeder([fd = child.take_stdin(), &input]() mutable {
    // A child that exits without reading must give us EPIPE, not kill us with SIGPIPE.
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
    write_all_fd(fd.get(), input);
  });
  RunOutput result;
  result.output = process::read_to_end(child.take_stdout().get());
  const auto status = child.wait();
  feeder.join();
  result.exit_code = status.shell_code();
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
