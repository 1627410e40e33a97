// `datamon bundle mount`: a read-only streaming FUSE mount of a bundle (fusefs, issue 4).
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <iostream>

#include "bin/cli.h"
#include "common/config/context.h"
#include "common/util/error.h"
#include "common/util/process.h"
#include "common/util/unique_fd.h"
#include "fusefs/byte_size.h"
#include "fusefs/fuse_server.h"
#include "fusefs/mount.h"

namespace dm::cli {

namespace {

struct MountFlags {
  std::string repo, bundle, label, mountpoint;
  std::string cache_size = "256MB";
  unsigned prefetch = 32;
  std::string preload;
  bool preload_given = false;
  bool verify_hash = true;
  bool daemonize = false;
  bool stream = true;
  bool allow_other = false;
  unsigned concurrency = 100;
  std::string disk_cache, disk_cache_size = "10GB", metrics_addr;
};

void serve(GlobalOptions& global, const MountFlags& f, const std::function<void()>& on_ready) {
  // Before any thread exists: only the FUSE loop's thread may take SIGTERM/SIGINT.
  fusefs::block_termination_signals();
  fusefs::MountOptions o;
  o.repo = f.repo;
  o.mountpoint = f.mountpoint;
  o.cache_bytes = fusefs::parse_byte_size(f.cache_size, "--cache-size");
  o.prefetch = f.prefetch;
  if (f.preload_given) o.preload = f.preload;
  o.verify = f.verify_hash;
  // Go's --concurrency-factor 100 is 10 parallel leaf fetches on download; the same here.
  o.fetch_threads = std::max(2U, std::min(64U, f.concurrency / 10));
  o.index_concurrency = o.fetch_threads;
  o.disk_cache = f.disk_cache;
  o.disk_cache_bytes = fusefs::parse_byte_size(f.disk_cache_size, "--disk-cache-size");
  o.metrics_address = f.metrics_addr;
  o.allow_other = f.allow_other;
  const auto config = global.load();
  auto ctx = config::open_context(config);
  o.bundle_id = ctx.catalog().resolve_bundle(f.repo, f.bundle, f.label);
  std::cout << "Using bundle: " << o.bundle_id << std::endl;
  fusefs::mount_bundle(ctx, o, on_ready);
}

// --daemonize: the child mounts and serves; the parent returns once the child reports the
// mount ready (exit 0) or fails (its error, exit 1).
void serve_in_background(GlobalOptions& global, const MountFlags& f) {
  std::array<int, 2> ends{-1, -1};
  if (::pipe2(ends.data(), O_CLOEXEC) != 0) throw_errno("cannot create a pipe", "--daemonize");
  UniqueFd ready(ends[0]);
  UniqueFd report_end(ends[1]);
  const int report = report_end.get();
  std::cout.flush();
  // No thread exists yet: the child may do anything, as the foreground mount does.
  auto server = process::fork_call("the mount process for " + dm::quoted(f.mountpoint),
                                   process::ProcessGroup::NewSession, [&global, &f, &ready, report] {
                                     ready.reset();
                                     try {
                                       serve(global, f, [report] {
                                         const char ok = 'R';
                                         (void)!::write(report, &ok, 1);
                                         ::close(report);
                                         const int null = ::open("/dev/null", O_RDWR);
                                         ::dup2(null, 0);
                                         ::dup2(null, 1);
                                         ::close(null);
                                       });
                                     } catch (const std::exception& e) {
                                       const std::string msg = std::string("E") + e.what();
                                       (void)!::write(report, msg.data(), msg.size());
                                       return 1;
                                     }
                                     std::cout.flush();
                                     return 0;
                                   });
  report_end.reset();
  std::string reply;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(ready.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
    if (reply == "R") break;
  }
  if (reply == "R") {
    server.detach();  // it serves on after we return
    return;
  }
  server.wait();
  if (!reply.empty() && reply[0] == 'E') throw Error(ErrorKind::Io, reply.substr(1));
  throw Error(ErrorKind::Internal, "the mount process for '" + f.mountpoint + "' exited before the mount was ready");
}

}  // namespace

void add_mount_command(CLI::App& bundle, GlobalOptions& global) {
  auto f = std::make_shared<MountFlags>();
  auto* mount = bundle.add_subcommand("mount", "Mount a bundle read-only (streaming FUSE filesystem)");
  mount->add_option("--repo", f->repo, "repo")->required();
  auto* b = mount->add_option("--bundle", f->bundle, "bundle id (default: the latest)");
  auto* l = mount->add_option("--label", f->label, "label of the bundle");
  b->excludes(l);
  mount->add_option("--mount", f->mountpoint, "mount point (created if missing)")->required();
  mount->add_option("--cache-size", f->cache_size, "RAM cache for leaves, e.g. 50MB, 1GiB")->default_val("256MB");
  mount
      ->add_option("--prefetch", f->prefetch,
                   "files of a folder fetched ahead of its reader (and readahead, random-access and small-file "
                   "prefetch); 0: no prefetch at all")
      ->default_val(32);
  auto* preload = mount->add_option("--preload", f->preload,
                                    "fill the cache with the files matching GLOB (fnmatch, '*' crosses '/'; no GLOB: "
                                    "every file) in the background; the mount does not wait");
  preload->expected(0, 1);
  mount->add_option("--verify-hash", f->verify_hash, "verify every leaf fetched (default true)")->default_val(true);
  mount->add_flag("--daemonize", f->daemonize, "return once the mount is ready; serve in the background");
  mount->add_flag("--stream", f->stream, "accepted for compatibility (the Go sidecar passes it): mounts always stream");
  mount->add_option("--concurrency-factor", f->concurrency, "parallelism factor (Go default 100)")->default_val(100);
  mount->add_option("--disk-cache", f->disk_cache, "folder for a persistent leaf cache shared across mounts");
  mount->add_option("--disk-cache-size", f->disk_cache_size, "bound of the disk cache")->default_val("10GB");
  mount->add_option("--metrics-addr", f->metrics_addr, "serve Prometheus metrics on host:port");
  accept_go_bool_flag(*mount, "--cpuprof", "Go's runtime profiler; this mount has none");
  accept_go_string_flag(*mount, "--destination",
                        "Go downloads a non-streamed mount's files there; this mount always streams (use "
                        "--disk-cache for a local cache of fetched data)");
  mount->add_flag("--allow-other", f->allow_other,
                  "let users other than the mounting one read (permission bits still apply); off by default");
  mount->callback([&global, f, preload] {
    f->preload_given = preload->count() > 0;
    if (f->daemonize) {
      serve_in_background(global, *f);
    } else {
      serve(global, *f, nullptr);
    }
  });
}

}  // namespace dm::cli
