#define FUSE_USE_VERSION 312
#include "fusefs/fuse_server.h"

#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <vector>

#include "common/util/error.h"
#include "common/util/mount_table.h"

namespace dm::fusefs {

namespace {

// A bundle never changes: the kernel may keep names and attributes for as long as it likes.
// libfuse clamps this to the largest timeout the protocol carries.
constexpr double kForever = 1e18;
constexpr uint32_t kMaxRead = 1 << 20;
constexpr uint32_t kBlockSize = 4096;

// Times one request and counts it under its operation.
class OpTimer {
 public:
  OpTimer(Metrics& metrics, FuseOp op) : metrics_(metrics), op_(op), start_(std::chrono::steady_clock::now()) {}
  ~OpTimer() {
    metrics_.fuse_op(op_, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(), failed);
  }
  bool failed = false;

 private:
  Metrics& metrics_;
  FuseOp op_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

struct FuseOps {
  static FuseServer& self(fuse_req_t req) { return *static_cast<FuseServer*>(fuse_req_userdata(req)); }

  static void fill_attr(const FuseServer& s, Inode ino, struct stat& st) {
    std::memset(&st, 0, sizeof st);
    const auto& index = s.index_;
    st.st_ino = ino;
    st.st_uid = s.options_.uid;
    st.st_gid = s.options_.gid;
    if (index.is_dir(ino)) {
      st.st_mode = S_IFDIR | 0555;
      st.st_nlink = 2 + index.subdir_count(ino);
      st.st_size = kBlockSize;
    } else {
      st.st_mode = S_IFREG | (index.executable(ino) ? 0555 : 0444);
      st.st_nlink = 1;
      st.st_size = static_cast<off_t>(index.size(ino));
    }
    st.st_blksize = kBlockSize;
    st.st_blocks = (st.st_size + 511) / 512;
    st.st_mtim.tv_sec = index.mtime_seconds(ino);
    st.st_mtim.tv_nsec = index.mtime_nanos(ino);
    st.st_atim = st.st_mtim;
    st.st_ctim = st.st_mtim;
  }

  static fuse_entry_param entry_of(const FuseServer& s, Inode ino) {
    fuse_entry_param e;
    std::memset(&e, 0, sizeof e);
    e.ino = ino;
    e.generation = 1;
    e.attr_timeout = kForever;
    e.entry_timeout = kForever;
    fill_attr(s, ino, e.attr);
    return e;
  }

  static void init(void* userdata, fuse_conn_info* conn) {
    auto& s = *static_cast<FuseServer*>(userdata);
    if (conn->capable & FUSE_CAP_READDIRPLUS) {
      conn->want |= FUSE_CAP_READDIRPLUS;
      conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;  // always plus: one request instead of a LOOKUP per entry
    }
    if (conn->capable & FUSE_CAP_NO_OPEN_SUPPORT) {
      conn->want |= FUSE_CAP_NO_OPEN_SUPPORT;
      s.no_open_ = true;
    }
    if (conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT) {
      conn->want |= FUSE_CAP_NO_OPENDIR_SUPPORT;
      s.no_opendir_ = true;
    }
    if (conn->capable & FUSE_CAP_ASYNC_READ) conn->want |= FUSE_CAP_ASYNC_READ;
    conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;  // content never changes; do not drop pages on mtime checks
    conn->max_read = kMaxRead;
    conn->max_readahead = kMaxRead;
    conn->max_background = 64;
    conn->congestion_threshold = 48;
  }

  static void lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    auto& s = self(req);
    OpTimer t(s.metrics_, FuseOp::Lookup);
    if (!s.index_.valid(parent)) {
      t.failed = true;
      fuse_reply_err(req, ENOENT);
      return;
    }
    if (!s.index_.is_dir(parent)) {
      t.failed = true;
      fuse_reply_err(req, ENOTDIR);
      return;
    }
    const auto ino = s.index_.lookup(parent, name);
    if (!ino) {
      // A negative entry with an infinite timeout: the name will never appear.
      fuse_entry_param e;
      std::memset(&e, 0, sizeof e);
      e.entry_timeout = kForever;
      fuse_reply_entry(req, &e);
      return;
    }
    const auto e = entry_of(s, *ino);
    fuse_reply_entry(req, &e);
  }

  static void forget(fuse_req_t req, fuse_ino_t, uint64_t) { fuse_reply_none(req); }
  static void forget_multi(fuse_req_t req, size_t, fuse_forget_data*) { fuse_reply_none(req); }

  static void getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
    auto& s = self(req);
    OpTimer t(s.metrics_, FuseOp::Getattr);
    if (!s.index_.valid(ino)) {
      t.failed = true;
      fuse_reply_err(req, ENOENT);
      return;
    }
    struct stat st;
    fill_attr(s, ino, st);
    fuse_reply_attr(req, &st, kForever);
  }

  static void open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    auto& s = self(req);
    OpTimer t(s.metrics_, FuseOp::Open);
    if (!s.index_.valid(ino)) {
      t.failed = true;
      fuse_reply_err(req, ENOENT);
      return;
    }
    if (s.index_.is_dir(ino)) {
      t.failed = true;
      fuse_reply_err(req, EISDIR);
      return;
    }
    if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
      t.failed = true;
      fuse_reply_err(req, EROFS);
      return;
    }
    if (s.no_open_) {
      // ENOSYS with FUSE_CAP_NO_OPEN_SUPPORT: the kernel stops sending opens and keeps the
      // page cache across them.
      fuse_reply_err(req, ENOSYS);
      return;
    }
    fi->keep_cache = 1;
    fuse_reply_open(req, fi);
  }

  static void opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    auto& s = self(req);
    OpTimer t(s.metrics_, FuseOp::Open);
    if (!s.index_.valid(ino) || !s.index_.is_dir(ino)) {
      t.failed = true;
      fuse_reply_err(req, s.index_.valid(ino) ? ENOTDIR : ENOENT);
      return;
    }
    if (s.no_opendir_) {
      fuse_reply_err(req, ENOSYS);
      return;
    }
    fi->keep_cache = 1;
    fuse_reply_open(req, fi);
  }

  static void release(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, 0); }

  // Directory offsets: 0 is ".", 1 is "..", 2 + k is child k in name order.
  static void readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus) {
    auto& s = self(req);
    OpTimer t(s.metrics_, FuseOp::Readdir);
    const auto& index = s.index_;
    if (!index.valid(ino) || !index.is_dir(ino)) {
      t.failed = true;
      fuse_reply_err(req, index.valid(ino) ? ENOTDIR : ENOENT);
      return;
    }
    const auto kids = index.children(ino);
    std::vector<char> buf(size);
    size_t used = 0;
    for (uint64_t pos = static_cast<uint64_t>(off); pos < kids.size() + 2; ++pos) {
      Inode child;
      std::string name;
      if (pos == 0) {
        child = ino;
        name = ".";
      } else if (pos == 1) {
        child = index.parent(ino);
        name = "..";
      } else {
        child = Inode{kids[pos - 2]} + 1;
        name = std::string(index.name(child));
      }
      size_t need;
      const off_t next = static_cast<off_t>(pos + 1);
      if (plus) {
        auto e = entry_of(s, child);
        if (pos < 2) e.ino = 0;  // the kernel takes no reference on "." and ".."
        need = fuse_add_direntry_plus(req, buf.data() + used, size - used, name.c_str(), &e, next);
      } else {
        struct stat st;
        std::memset(&st, 0, sizeof st);
        st.st_ino = child;
        st.st_mode = index.is_dir(child) ? S_IFDIR : S_IFREG;
        need = fuse_add_direntry(req, buf.data() + used, size - used, name.c_str(), &st, next);
      }
      if (need > size - used) break;
      used += need;
    }
    fuse_reply_buf(req, buf.data(), used);
  }

  static void readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
    readdir_common(req, ino, size, off, false);
  }
  static void readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
    readdir_common(req, ino, size, off, true);
  }

  static void read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
    auto& s = self(req);
    OpTimer t(s.metrics_, FuseOp::Read);
    if (!s.index_.valid(ino) || s.index_.is_dir(ino)) {
      t.failed = true;
      fuse_reply_err(req, s.index_.valid(ino) ? EISDIR : ENOENT);
      return;
    }
    std::vector<LeafSlice> slices;
    try {
      slices = s.content_.read(ino, static_cast<uint64_t>(off), size);
    } catch (const std::exception& e) {
      t.failed = true;
      s.metrics_.read_error();
      spdlog::error("read failed bundle={} file={} offset={} error: {}", s.options_.bundle_id,
                    dm::quoted(s.index_.path(ino)), off, e.what());
      fuse_reply_err(req, EIO);
      return;
    }
    // The reply points into the cached leaves: no copy on our side.
    std::vector<iovec> iov(slices.size());
    for (size_t i = 0; i < slices.size(); ++i) {
      iov[i].iov_base = const_cast<char*>(slices[i].data->data() + slices[i].offset);
      iov[i].iov_len = slices[i].length;
    }
    fuse_reply_iov(req, iov.data(), static_cast<int>(iov.size()));
  }

  static void statfs(fuse_req_t req, fuse_ino_t) {
    auto& s = self(req);
    OpTimer t(s.metrics_, FuseOp::Statfs);
    struct statvfs st;
    std::memset(&st, 0, sizeof st);
    st.f_bsize = kBlockSize;
    st.f_frsize = kBlockSize;
    st.f_blocks = (s.index_.total_bytes() + kBlockSize - 1) / kBlockSize;
    st.f_files = s.index_.inode_count();
    st.f_namemax = 255;
    st.f_flag = ST_RDONLY | ST_NOSUID | ST_NODEV;
    fuse_reply_statfs(req, &st);
  }

  static void erofs(fuse_req_t req) {
    OpTimer t(self(req).metrics_, FuseOp::Write);
    t.failed = true;
    fuse_reply_err(req, EROFS);
  }
  static void setattr(fuse_req_t req, fuse_ino_t, struct stat*, int, fuse_file_info*) { erofs(req); }
  static void mknod(fuse_req_t req, fuse_ino_t, const char*, mode_t, dev_t) { erofs(req); }
  static void mkdir(fuse_req_t req, fuse_ino_t, const char*, mode_t) { erofs(req); }
  static void unlink(fuse_req_t req, fuse_ino_t, const char*) { erofs(req); }
  static void symlink(fuse_req_t req, const char*, fuse_ino_t, const char*) { erofs(req); }
  static void rename(fuse_req_t req, fuse_ino_t, const char*, fuse_ino_t, const char*, unsigned) { erofs(req); }
  static void link(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) { erofs(req); }
  static void write(fuse_req_t req, fuse_ino_t, const char*, size_t, off_t, fuse_file_info*) { erofs(req); }
  static void create(fuse_req_t req, fuse_ino_t, const char*, mode_t, fuse_file_info*) { erofs(req); }
  static void setxattr(fuse_req_t req, fuse_ino_t, const char*, const char*, size_t, int) { erofs(req); }
  static void removexattr(fuse_req_t req, fuse_ino_t, const char*) { erofs(req); }
  static void fallocate(fuse_req_t req, fuse_ino_t, int, off_t, off_t, fuse_file_info*) { erofs(req); }
  static void copy_file_range(fuse_req_t req, fuse_ino_t, off_t, fuse_file_info*, fuse_ino_t, off_t, fuse_file_info*,
                              size_t, int) {
    erofs(req);
  }

  static fuse_lowlevel_ops table() {
    fuse_lowlevel_ops ops;
    std::memset(&ops, 0, sizeof ops);
    ops.init = init;
    ops.lookup = lookup;
    ops.forget = forget;
    ops.forget_multi = forget_multi;
    ops.getattr = getattr;
    ops.open = open;
    ops.opendir = opendir;
    ops.release = release;
    ops.releasedir = release;
    ops.readdir = readdir;
    ops.readdirplus = readdirplus;
    ops.read = read;
    ops.statfs = statfs;
    ops.setattr = setattr;
    ops.mknod = mknod;
    ops.mkdir = mkdir;
    ops.unlink = unlink;
    ops.rmdir = unlink;
    ops.symlink = symlink;
    ops.rename = rename;
    ops.link = link;
    ops.write = write;
    ops.create = create;
    ops.setxattr = setxattr;
    ops.removexattr = removexattr;
    ops.fallocate = fallocate;
    ops.copy_file_range = copy_file_range;
    return ops;
  }
};

namespace {

// The kernel's readahead for a FUSE mount starts at 128 KiB, which halves cold sequential
// throughput; as root we raise it to 1 MiB through the mount's backing device. Best effort.
void raise_readahead(const std::filesystem::path& mountpoint) {
  std::string device;
  try {
    if (const auto mount = mount_at(mountpoint)) device = mount->device;
  } catch (const Error& e) {
    spdlog::debug("no readahead tuning: {}", e.what());
  }
  if (device.empty()) return;
  std::ofstream ra("/sys/class/bdi/" + device + "/read_ahead_kb");
  ra << kMaxRead / 1024;
  if (!ra) spdlog::debug("could not raise read_ahead_kb of bdi {}", device);
}

}  // namespace

std::string fuse_option_value(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == ',' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

void block_termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

FuseServer::FuseServer(const BundleIndex& index, ContentReader& content, Metrics& metrics, PageCacheFeed& feed,
                       FuseServerOptions options)
    : index_(index), content_(content), metrics_(metrics), feed_(feed), options_(std::move(options)) {}

void FuseServer::run(const std::function<void()>& on_ready) {
  std::string opts = "ro,default_permissions,fsname=" + fuse_option_value(options_.fsname) +
                     ",subtype=datamon,max_read=" + std::to_string(kMaxRead);
  if (options_.allow_other) opts += ",allow_other";
  std::vector<std::string> argv_storage{"datamon", "-o", opts};
  std::vector<char*> argv;
  argv.reserve(argv_storage.size());
  for (auto& a : argv_storage) argv.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  // Option parsing may copy argv into memory of libfuse's own, which only this frees.
  const std::unique_ptr<fuse_args, void (*)(fuse_args*)> free_args(&args, fuse_opt_free_args);
  const auto ops = FuseOps::table();
  fuse_session* se = fuse_session_new(&args, &ops, sizeof ops, this);
  if (se == nullptr) throw Error(ErrorKind::Internal, "cannot create the FUSE session (options '" + opts + "')");
  std::unique_ptr<fuse_session, void (*)(fuse_session*)> session(se, fuse_session_destroy);
  if (fuse_set_signal_handlers(se) != 0) throw Error(ErrorKind::Internal, "cannot install signal handlers");
  if (fuse_session_mount(se, options_.mountpoint.c_str()) != 0) {
    fuse_remove_signal_handlers(se);
    throw Error(ErrorKind::Io, "cannot mount on '" + options_.mountpoint.string() + "'");
  }
  raise_readahead(options_.mountpoint);
  spdlog::info("mounted bundle={} repo={} at '{}' files={} bytes={}", options_.bundle_id, options_.fsname,
               options_.mountpoint.string(), index_.file_count(), index_.total_bytes());
  if (on_ready) on_ready();

  // Only now may the termination signals reach us: the handlers end the loop, which unmounts.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);

  fuse_loop_config* loop = fuse_loop_cfg_create();
  fuse_loop_cfg_set_max_threads(loop, options_.max_threads);
  fuse_loop_cfg_set_idle_threads(loop, 4);
  feed_.attach(se);
  const int rc = fuse_session_loop_mt(se, loop);
  feed_.detach();
  fuse_loop_cfg_destroy(loop);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  fuse_remove_signal_handlers(se);
  fuse_session_unmount(se);
  spdlog::info("unmounted '{}'", options_.mountpoint.string());
  if (rc < 0)
    throw Error(ErrorKind::Io, "FUSE session on '" + options_.mountpoint.string() + "' failed: " + std::strerror(-rc));
}

}  // namespace dm::fusefs
