#include "sidecar/fuse_sidecar.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <memory>
#include <thread>

#include "common/config/context.h"
#include "common/transfer/source_tree.h"
#include "common/transfer/upload.h"
#include "common/util/error.h"
#include "common/util/files.h"
#include "common/util/fuse_mounts.h"
#include "sidecar/app_gate.h"
#include "sidecar/child_process.h"
#include "sidecar/destination_repos.h"
#include "sidecar/duration.h"
#include "sidecar/event_waiter.h"
#include "sidecar/liveness_lock.h"
#include "sidecar/progress_beacon.h"
#include "sidecar/signal_files.h"

namespace dm::sidecar {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kMountPoll{50};         // mountinfo changes are not visible to inotify
constexpr milliseconds kUnmountGrace{10'000};  // SIGTERM → SIGKILL for a mount server

struct ActiveMount {
  const FuseSource* source;
  std::unique_ptr<ChildProcess> server;
};

// Makes sure `file` can be created once the upload is committed: its folder is created when
// missing, and a probe file is written and removed there; `file` itself must not exist yet.
void prepare_output_file(const std::filesystem::path& file, const std::string& what) {
  const auto folder = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec)
    throw Error(ErrorKind::Io, "cannot create the folder of " + what + " '" + file.string() + "': " + ec.message());
  if (std::filesystem::exists(std::filesystem::symlink_status(file, ec))) {
    throw Error(ErrorKind::AlreadyExists, what + " file '" + file.string() + "' already exists");
  }
  const auto probe = folder / fmt::format(".{}.probe", file.filename().string());
  const UniqueFd fd(::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) throw_errno("cannot write " + what + " in", folder.string());
  ::unlink(probe.c_str());
}

std::string describe(const FuseSource& s) {
  return "mount of bundle '" + s.name + "' (repo '" + s.repo + "', " +
         (s.label.empty() ? "bundle '" + s.bundle + "'" : "label '" + s.label + "'") + ") at '" +
         s.mount_point.string() + "'";
}

class FuseSidecar {
 public:
  explicit FuseSidecar(const FuseSidecarRun& run) : run_(run), coord_(run.config.coord) {}

  int run() {
    const auto& c = run_.config;
    coord_.ensure();
    LivenessLock alive(coord_.path(signals::kFuseLock));
    for (const char* stale : {signals::kMountDone, signals::kUploadDone, signals::kFuseFailed, signals::kInitUpload}) {
      coord_.clear(stale);
    }
    const timespec started = alive.mark_started();
    EventWaiter waiter({coord_.root()}, c.poll_interval);
    if (auto reason = app_already_failed(coord_, started)) {
      spdlog::warn("fuse sidecar: nothing mounted or saved: the wrapper reported: {}", *reason);
      return 0;
    }
    ProgressBeacon beacon(coord_, signals::kFuseProgress);  // the wrapper's deadlines
    bool finished = false;
    try {
      std::vector<DestinationRepo> destinations;
      for (const auto& d : c.destinations) destinations.push_back({d.repo, "output bundle " + dm::quoted(d.name)});
      require_destination_repos(run_.datamon, destinations);
      mount_all(waiter);
      coord_.raise(signals::kMountDone);
      spdlog::info("fuse sidecar: {} source(s) mounted; waiting for the application", mounts_.size());
      std::vector<int> fds;
      for (auto& m : mounts_) fds.push_back(m.server->exit_fd());
      const auto outcome = wait_for_app(
          waiter, {coord_, started, signals::kInitUpload, c.app_timeout, [this] { return broken_mount(); }, fds});
      unmount_all();
      if (outcome.verdict == AppVerdict::Discard) {
        spdlog::warn("fuse sidecar: nothing saved: {}", outcome.reason);
        return 0;
      }
      for (const auto& d : c.destinations) upload(d, waiter);
      coord_.raise(signals::kUploadDone, outcome.request);  // the answer echoes the request (wrapper.h)
      finished = true;
      spdlog::info("fuse sidecar: done");
      if (c.sleep_instead_of_exit) linger(waiter);
      return 0;
    } catch (const Interrupted& e) {
      unmount_all_quietly();
      if (!finished) coord_.raise(signals::kFuseFailed, e.what());
      spdlog::error("fuse sidecar: {}", e.what());
      return finished ? 0 : 128 + e.signal();
    } catch (const std::exception& e) {
      unmount_all_quietly();
      coord_.raise(signals::kFuseFailed, e.what());
      spdlog::error("fuse sidecar: {}", e.what());
      wait_for_failure_heard(waiter, coord_, started, c.app_timeout);
      throw;
    }
  }

 private:
  void mount_all(EventWaiter& waiter) {
    for (const auto& s : run_.config.sources) {
      std::error_code ec;
      std::filesystem::create_directories(s.mount_point, ec);
      if (ec) throw Error(ErrorKind::Io, describe(s) + ": cannot create the mount point: " + ec.message());
      if (is_fuse_mounted(s.mount_point)) throw Error(ErrorKind::AlreadyExists, describe(s) + ": already mounted");
      auto argv = run_.datamon_command;
      for (const char* a : {"bundle", "mount", "--repo"}) argv.emplace_back(a);
      argv.push_back(s.repo);
      argv.emplace_back(s.label.empty() ? "--bundle" : "--label");
      argv.push_back(s.label.empty() ? s.bundle : s.label);
      argv.emplace_back("--mount");
      argv.push_back(s.mount_point.string());
      if (s.prefetch) {
        argv.emplace_back("--prefetch");
        argv.push_back(std::to_string(*s.prefetch));
      }
      if (s.preload) argv.push_back("--preload=" + *s.preload);
      spdlog::info("fuse sidecar: starting {}", describe(s));
      mounts_.push_back({&s, std::make_unique<ChildProcess>(argv, SpawnOptions{.label = "mount " + s.name})});
    }
    const auto deadline = Clock::now() + run_.config.mount_timeout;
    for (;;) {
      if (auto broken = broken_mount()) throw Error(ErrorKind::Unavailable, *broken);
      size_t ready = 0;
      for (auto& m : mounts_) ready += is_fuse_mounted(m.source->mount_point) ? 1 : 0;
      if (ready == mounts_.size()) return;
      throw_if_interrupted(waiter, "while mounting the sources");
      if (Clock::now() > deadline) {
        for (auto& m : mounts_) {
          if (!is_fuse_mounted(m.source->mount_point)) {
            throw Error(ErrorKind::Unavailable,
                        describe(*m.source) + ": not ready after " + format_duration(run_.config.mount_timeout));
          }
        }
      }
      std::vector<int> fds;
      for (auto& m : mounts_) fds.push_back(m.server->exit_fd());
      waiter.wait(kMountPoll, fds);
    }
  }

  // A reason when a mount server has exited (it may not go away while the app reads).
  std::optional<std::string> broken_mount() {
    for (auto& m : mounts_) {
      if (m.server->poll_exit()) return describe(*m.source) + " failed: " + m.server->failure_reason();
    }
    return std::nullopt;
  }

  void unmount_all() {
    std::string failures;
    for (auto& m : mounts_) {
      const int code = m.server->stop(kUnmountGrace);
      if (code != 0 && code != 128 + SIGTERM) {
        spdlog::warn("{}: server exited with status {}", describe(*m.source), code);
      }
      if (!detach_fuse_mount_if_any(m.source->mount_point)) {
        failures += (failures.empty() ? "" : "; ") + describe(*m.source) + ": still mounted after stopping its server";
      }
    }
    mounts_.clear();
    if (!failures.empty()) throw Error(ErrorKind::Io, failures);
  }

  void unmount_all_quietly() {
    try {
      unmount_all();
    } catch (const std::exception& e) {
      spdlog::error("fuse sidecar: {}", e.what());
    }
  }

  void upload(const FuseDestination& d, EventWaiter& waiter) {
    throw_if_interrupted(waiter, "before uploading bundle '" + d.name + "'");
    const std::string at =
        "upload of bundle '" + d.name + "' from '" + d.folder.string() + "' to repo '" + d.repo + "'";
    try {
      std::error_code ec;
      if (!std::filesystem::is_directory(d.folder, ec)) throw Error(ErrorKind::NotFound, "no such folder");
      // Before the upload: a destBundleID that cannot be written must fail the run before a
      // bundle is committed, or a retry would commit a duplicate.
      if (!d.bundle_id_file.empty()) prepare_output_file(d.bundle_id_file, "destBundleID");
      auto ctx = config::open_context(run_.datamon);
      auto catalog = ctx.catalog();
      const auto files = transfer::scan_tree(d.folder);
      transfer::UploadOptions options;
      options.repo = d.repo;
      options.message = d.message;
      options.label = d.label;
      options.contributor = run_.datamon.contributor;
      options.show_progress = false;
      const auto result = transfer::upload_bundle(files, catalog, *ctx.blob, options);
      spdlog::info("fuse sidecar: uploaded bundle id:{} from '{}'{}", result.bundle_id, d.folder.string(),
                   d.label.empty() ? "" : " label '" + d.label + "'");
      if (!d.bundle_id_file.empty() &&
          !write_file_atomic(d.bundle_id_file, result.bundle_id, 0644, AtomicWrite::NoReplace)) {
        throw Error(ErrorKind::AlreadyExists, "destBundleID file '" + d.bundle_id_file.string() + "' already exists");
      }
    } catch (const Error& e) {
      throw Error(e.kind(), at + ": " + e.what());
    }
  }

  void linger(EventWaiter& waiter) {
    spdlog::info("fuse sidecar: sleeping {} (sleepInsteadOfExit)", format_duration(run_.config.sleep_timeout));
    const auto deadline = Clock::now() + run_.config.sleep_timeout;
    while (!waiter.terminated_by() && Clock::now() < deadline) {
      waiter.wait(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
    }
  }

  const FuseSidecarRun& run_;
  CoordDir coord_;
  std::vector<ActiveMount> mounts_;
};

}  // namespace

int run_fuse_sidecar(const FuseSidecarRun& run) {
  FuseSidecar sidecar(run);
  return sidecar.run();
}

}  // namespace dm::sidecar
