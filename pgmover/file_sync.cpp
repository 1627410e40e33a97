#include "pgmover/file_sync.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>

#include "common/cafs/file_key.h"
#include "common/cafs/hasher.h"
#include "common/util/error.h"
#include "common/util/files.h"
#include "common/util/thread_pool.h"

namespace fs = std::filesystem;

namespace dm::pgmover {

namespace {

struct Counters {
  std::atomic<uint64_t> written{0}, patched{0}, kept{0}, hashed{0}, leaves_total{0}, leaves_fetched{0}, bytes{0};
};

// The leaf keys the local file holds (empty: treat it as missing), hashing it when nothing
// vouches for it. `kept` is set when it already holds the wanted content.
std::vector<cafs::Key> local_keys(const SyncTask& t, const cafs::Key& root, cafs::Reader& reader, ThreadPool& pool,
                                  Counters& c, bool& kept) {
  const bool legacy = reader.stride() != reader.leaf_size();
  if (!t.vouched_key.empty()) {
    if (auto old = cafs::Key::from_hex(t.vouched_key); old && !legacy) {
      try {
        return reader.leaf_keys(*old);
      } catch (const Error& e) {
        // The old content's root blob is not in this store: fall back to reading the file.
        spdlog::debug("no root blob for the recorded key of file={}: {}", t.dest.string(), e.what());
      }
    }
  }
  if (legacy) return {};  // legacy leaves overlap; their keys cannot be compared with a local split
  ++c.hashed;
  auto keys = cafs::file_leaf_keys(t.dest, reader.leaf_size(), &pool);
  struct stat st {};
  if (::stat(t.dest.c_str(), &st) != 0) throw_errno("cannot stat", t.dest.string());
  if (static_cast<uint64_t>(st.st_size) == t.entry.size && cafs::root_key(keys, reader.leaf_size()) == root) {
    kept = true;
  }
  return keys;
}

void sync_one(const SyncTask& t, cafs::Reader& reader, const OsUser& owner, ThreadPool& pool, Counters& c,
              Progress* progress) {
  const auto& e = t.entry;
  const auto root = cafs::Key::from_hex(e.hash);
  if (!root)
    throw Error(ErrorKind::Corrupt, "entry " + dm::quoted(e.name) + " has an invalid hash " + dm::quoted(e.hash));
  struct stat st {};
  bool exists = ::lstat(t.dest.c_str(), &st) == 0;
  if (!exists && errno != ENOENT) throw_errno("cannot stat", t.dest.string());
  if (exists && !S_ISREG(st.st_mode))
    throw Error(ErrorKind::Io, dm::quoted(t.dest.string()) + " is not a regular file");
  if (exists && t.vouched_key == e.hash && static_cast<uint64_t>(st.st_size) == e.size) {
    ++c.kept;
    if (progress) progress->add_bytes(e.size);
    return;
  }

  std::vector<cafs::Key> old;
  if (exists) {
    bool kept = false;
    old = local_keys(t, *root, reader, pool, c, kept);
    if (kept) {
      ++c.kept;
      if (progress) progress->add_bytes(e.size);
      return;
    }
    if (st.st_nlink > 1) {  // patching would change the other names' content too
      if (::unlink(t.dest.c_str()) != 0) throw_errno("cannot remove", t.dest.string());
      exists = false;
      old.clear();
    }
  }
  const auto keys = reader.leaf_keys(*root);
  const uint64_t stride = reader.stride();
  const uint64_t expected_count = e.size == 0 ? 0 : (e.size + stride - 1) / stride;
  if (keys.size() != expected_count) {
    throw Error(ErrorKind::Corrupt, "entry " + dm::quoted(e.name) + " (root " + e.hash + ") has " +
                                        std::to_string(keys.size()) + " leaves for " + std::to_string(e.size) +
                                        " bytes");
  }

  UniqueFd file;
  if (exists) {
    file = UniqueFd(::open(t.dest.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!file.valid()) throw_errno("cannot open", t.dest.string());
  } else {
    file = UniqueFd(::open(t.dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!file.valid() && errno == ENOENT) {  // a folder the layout manifest does not list
      std::error_code ec;
      fs::create_directories(t.dest.parent_path(), ec);
      if (ec) throw Error(ErrorKind::Io, "cannot create '" + t.dest.parent_path().string() + "': " + ec.message());
      file = UniqueFd(::open(t.dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    }
    if (!file.valid()) throw_errno("cannot create", t.dest.string());
    ensure_mode(file.get(), t.mode, t.dest.string());
    if (::geteuid() == 0 && ::fchown(file.get(), owner.uid, owner.gid) != 0) {
      throw_errno("cannot give to user " + dm::quoted(owner.name), t.dest.string());
    }
    // One extent reservation instead of growth leaf by leaf; not every file system can.
    if (e.size > 0 && ::fallocate(file.get(), 0, 0, static_cast<off_t>(e.size)) != 0 && errno != EOPNOTSUPP) {
      throw_errno("cannot preallocate", t.dest.string());
    }
  }

  std::atomic<uint64_t> fetched{0}, bytes{0};
  // Leaves are fetched and verified in parallel but written one at a time: ext4 serialises
  // buffered writes to one file on its inode lock anyway, and waiting there spins (perf: 14% of
  // a restore's CPU), where waiting here sleeps and leaves the core to the hashing.
  std::mutex write_turn;
  TaskGroup group(pool);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i < old.size() && old[i] == keys[i]) {
      if (progress) progress->add_bytes(i + 1 == keys.size() ? e.size - i * stride : stride);
      continue;
    }
    group.run([&, i] {
      // One buffer per pool thread, kept between leaves and files: a fresh 2 MiB string per leaf
      // cost a zero-fill and its page faults, a tenth of a restore's time (perf).
      thread_local std::string data;
      reader.fetch_leaf_into(keys, i, data);
      const uint64_t want = i + 1 == keys.size() ? e.size - i * stride : stride;
      if (data.size() != want) {
        throw Error(ErrorKind::Corrupt, "leaf " + keys[i].hex() + " of entry " + dm::quoted(e.name) + " has " +
                                            std::to_string(data.size()) + " bytes where " + std::to_string(want) +
                                            " were expected");
      }
      {
        std::lock_guard turn(write_turn);
        write_full_at(file.get(), data, i * stride, t.dest.string());
      }
      ++fetched;
      bytes += data.size();
      if (progress) progress->add_bytes(data.size());
    });
  }
  group.wait();
  if (::ftruncate(file.get(), static_cast<off_t>(e.size)) != 0) throw_errno("cannot truncate", t.dest.string());
  // Start the write-back now so that the one sync at the end has little left to wait for.
  if (bytes > 0) start_write_back(file.get(), t.dest.string());
  close_checked(file, t.dest.string());
  ++c.written;
  if (exists) ++c.patched;
  c.leaves_total += keys.size();
  c.leaves_fetched += fetched;
  c.bytes += bytes;
}

}  // namespace

SyncStats sync_files(const std::vector<SyncTask>& tasks, cafs::Reader& reader, const OsUser& owner,
                     unsigned concurrency, Progress* progress) {
  const unsigned width = std::max(1U, concurrency);
  ThreadPool leaf_pool(width);
  Counters c;
  parallel_for(tasks.size(), width, [&](size_t i) {
    sync_one(tasks[i], reader, owner, leaf_pool, c, progress);
    if (progress) progress->file_done();
  });
  SyncStats s;
  s.files_written = c.written;
  s.files_patched = c.patched;
  s.files_kept = c.kept;
  s.files_hashed = c.hashed;
  s.leaves_total = c.leaves_total;
  s.leaves_fetched = c.leaves_fetched;
  s.bytes_written = c.bytes;
  return s;
}

}  // namespace dm::pgmover
