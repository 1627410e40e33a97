#include "sidecar/postmaster.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "common/util/error.h"
#include "pgmover/pg_ctl.h"
#include "pgmover/run_as.h"

namespace dm::sidecar {

namespace {

constexpr std::chrono::milliseconds kImmediateGrace{5'000};  // SIGQUIT → SIGKILL

}  // namespace

Postmaster::Postmaster(const PostmasterOptions& options) : options_(options) {
  const auto user = ::geteuid() == 0 ? pgmover::lookup_user(options_.run_as.empty() ? "postgres" : options_.run_as)
                                     : pgmover::current_user();
  user_name_ = user.name;
  pgmover::PgCtl pg(options_.pgdata, user, pgmover::find_binaries());
  pg.check_startable();
  psql_ = pg.binaries().bindir / "psql";

  // As `pg_ctl start` would run it, but as our child: no shell, so no quoting of the values.
  const std::vector<std::string> argv{
      (pg.binaries().bindir / "postgres").string(), "-D", pg.pgdata().string(),        "-p", options_.port, "-c",
      "listen_addresses=" + options_.listen,        "-k", options_.socket_dir.string()};
  SpawnOptions spawn{.label = options_.label.empty() ? "postgres" : options_.label,
                     .tap_output = true,
                     .own_process_group = false,
                     .die_with_parent = true,
                     .death_signal = SIGINT,  // fast shutdown: a clean stop, whatever clients are connected
                     .run_as = std::nullopt,
                     .environment = std::vector<std::string>{
                         "HOME=" + user.home, "USER=" + user.name, "LOGNAME=" + user.name,
                         "PATH=" + pg.binaries().bindir.string() + ":/usr/bin:/bin", "LC_ALL=C", "LANG=C"}};
  if (::geteuid() == 0 && user.uid != 0) spawn.run_as = pgmover::credentials_of(user);
  server_ = std::make_unique<ChildProcess>(argv, std::move(spawn));
  spdlog::info("{}: postmaster pid {} on '{}', port {}", server_->label(), server_->pid(), pg.pgdata().string(),
               options_.port);
}

Postmaster::~Postmaster() {
  try {
    if (!server_->poll_exit()) shut_down(std::chrono::seconds(60));
  } catch (...) {
  }
}

bool Postmaster::ready() {
  if (server_->poll_exit()) return false;
  const auto user = ::geteuid() == 0 ? pgmover::lookup_user(user_name_) : pgmover::current_user();
  const auto out = pgmover::run_program({psql_.string(), "-h", options_.socket_dir.string(), "-p", options_.port, "-U",
                                         user_name_, "-d", "postgres", "-XAtqc", "select pg_is_in_recovery()"},
                                        user);
  return out.exit_code == 0 && out.output.starts_with('f');
}

std::string Postmaster::failure_reason() {
  std::string tail;
  for (const auto& line : server_->output_tail()) tail += line + "\n";
  auto reason = pgmover::first_server_failure(tail);
  return reason.empty() ? server_->failure_reason() : reason;
}

int Postmaster::shut_down(std::chrono::milliseconds limit) {
  if (auto code = server_->poll_exit()) return *code;
  server_->signal(SIGINT);
  if (auto code = server_->wait_exit(limit)) return *code;
  spdlog::warn("{}: no fast shutdown within {}ms; immediate shutdown", server_->label(), limit.count());
  server_->signal(SIGQUIT);
  if (auto code = server_->wait_exit(kImmediateGrace)) return *code;
  server_->signal(SIGKILL);
  return server_->wait_exit(kImmediateGrace).value_or(128 + SIGKILL);
}

}  // namespace dm::sidecar
