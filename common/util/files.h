// Small local-file helpers with the durability rules of the project.
//
// write_file_atomic never leaves a torn file under the final name while the system runs: it
// writes a temporary file, renames it over the target and (by default) fsyncs the file before
// and the folder after. Writers of many files defer that to one sync_file_system() before
// they publish anything that names the files. All functions throw dm::Error naming the path.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "common/util/unique_fd.h"

namespace dm {

// The one set of full-length I/O loops: each retries EINTR and short counts until done. `what`
// names the file in errors ("cannot read '<what>': <strerror>", an Io dm::Error).

// Fills `buffer` from `offset` on; fewer bytes only at end of file. Returns how many were read.
size_t read_full_at(int fd, std::span<char> buffer, uint64_t offset, const std::string& what);

// The same from the file position (read), for pipes and other files without offsets.
size_t read_full(int fd, std::span<char> buffer, const std::string& what);

// Writes all of `data` at `offset` (pwrite).
void write_full_at(int fd, std::string_view data, uint64_t offset, const std::string& what);

// Writes all of `data` at the file position (write), for files opened for appending or new.
void write_full(int fd, std::string_view data, const std::string& what);

// Memory alignment of a buffer whose bytes write_bulk_at can write past the page cache.
inline constexpr size_t kDirectWriteAlign = 4096;
// The smallest write that goes past the page cache (a direct write waits for the device).
inline constexpr size_t kDirectWriteMin = size_t{1} << 20;

// Writes all of `data` at `offset` as write_full_at does, with its 4 KiB-aligned bulk written
// past the page cache (O_DIRECT) when `data` starts on a kDirectWriteAlign boundary in memory,
// `offset` is aligned and the bulk is at least kDirectWriteMin: a file written once and not read
// back soon (a blob, a restored file) is then neither copied into freshly allocated page cache
// nor written back later. The unaligned rest goes through the page cache; so does everything on
// a file system that refuses O_DIRECT, or that refuses a direct write (a stricter alignment).
// Not for a descriptor another thread writes at the same time: it sets O_DIRECT on it for the
// bulk and clears it again.
void write_bulk_at(int fd, std::string_view data, uint64_t offset, const std::string& what);

// A second descriptor of the open file `fd`, for writing with O_DIRECT, opened through
// /proc/self/fd: O_DIRECT belongs to an open file description, so threads that write parts of
// one file past the page cache at once each need it set for the whole time, which
// write_bulk_at's toggling on a shared descriptor cannot give. Invalid where /proc or the file
// system does not allow it.
UniqueFd reopen_for_direct_writes(int fd);

// write_bulk_at for threads that write different ranges of one file at the same time: the
// aligned bulk goes through `direct` (a valid descriptor from reopen_for_direct_writes), the
// rest, and everything when the device refuses a direct write, through `fd`.
void write_bulk_at(int direct, int fd, std::string_view data, uint64_t offset, const std::string& what);

// Allocates `size` bytes for the file (fallocate, the size set too), so that direct writes to
// different ranges of it overwrite allocated space, which ext4 lets run side by side where it
// serialises writes that allocate or extend the file. A file system without fallocate is left
// to allocate as the writes come; any other failure (ENOSPC) throws, naming `what`.
void preallocate(int fd, uint64_t size, const std::string& what);

// Closes `fd` and reports a failure (a delayed write-back error on NFS, say) as an Io error
// naming `what`; a writer calls it before it publishes the file. `fd` is closed either way.
void close_checked(UniqueFd& fd, const std::string& what);

// An unnamed file (O_TMPFILE, created with `mode` under the umask) in the folder `dir`
// (relative to `dirfd`), open for writing, to be named by publish_unnamed once whole: a crash
// before that leaves nothing behind. Nobody can open it before it has a name, so it may be
// created with its final mode. Invalid where the file system or the kernel has no O_TMPFILE, or
// /proc (through which it is named) is missing; any other failure throws, naming `what`.
UniqueFd open_unnamed(int dirfd, const char* dir, unsigned mode, const std::string& what);

// Gives the open file `fd` the permission bits `mode` unless it has them already (a file
// created with that mode under a umask that took none of its bits away).
void ensure_mode(int fd, unsigned mode, const std::string& what);

enum class AtomicWrite { Replace, NoReplace };

// A free name for a temporary file, made when one is needed.
using TempName = std::function<std::filesystem::path()>;

// Names the unnamed file `fd` (open_unnamed, written whole) `name` in `dirfd` and closes it.
// Where something has that name already: false for NoReplace; for Replace the file is linked
// as `temp` (a free name on the same file system) and renamed over it, so what was there (a
// symlink too) is replaced, never followed. A late write error reported by close (NFS) throws,
// naming `what`, and takes the name away again. `temp` is called only then: a file that takes its
// name at once costs no temporary name.
bool publish_unnamed(UniqueFd& fd, int dirfd, const char* name, AtomicWrite how, const TempName& temp,
                     const std::string& what);

enum class Durability {
  Synced,    // content and name are durable when write_file_atomic returns (two fsyncs)
  Deferred,  // write-back is started, nothing waited for: the caller makes the file durable
             // later with sync_file_system(); a power loss before that can lose the file or
             // leave it short (a prefix of its content on ext4 and XFS), never mixed
};

// Returns false (and writes nothing) for NoReplace when `path` already exists; the check and
// the publication are one atomic step (link(2)), so two writers can never both win. The file
// is written unnamed (open_unnamed) and linked in where the kernel allows, so a crash leaves no
// temporary and a free name costs one lock of its folder; a file replacing another, or every
// file where the kernel does not allow, goes through a temporary name renamed into place:
// `temp_dir`, when given, holds it instead of the target's folder (it must be on the same file
// system).
bool write_file_atomic(const std::filesystem::path& path, std::string_view data, unsigned mode = 0644,
                       AtomicWrite how = AtomicWrite::Replace, const std::filesystem::path& temp_dir = {},
                       Durability durability = Durability::Synced);

// The same for `name` (one component) in the open folder `dirfd` (not O_PATH: a synced write
// fsyncs it), with its temporary, when one is needed, in `temp_dir` (an absolute path on the
// same file system); `what` names the file in errors. A writer of many files into one folder
// spares the walk of the folder's path twice per file.
bool write_file_atomic_at(int dirfd, const std::string& name, const std::string& what, std::string_view data,
                          unsigned mode, AtomicWrite how, const std::filesystem::path& temp_dir, Durability durability);

std::string read_file(const std::filesystem::path& path);

// Replaces `out` with the file's content, reusing `out`'s memory: a caller that reads leaf after
// leaf into one buffer pays neither a fresh allocation (page faults) nor its zero-fill each time.
void read_file_into(const std::filesystem::path& path, std::string& out);

// Opens `path` for reading only if it is a regular file: a symlink (O_NOFOLLOW), FIFO, socket
// or device is a Corrupt error "<what> is not a regular file", and opening never blocks
// (O_NONBLOCK), so a planted FIFO cannot hang the caller. A missing file is NotFound.
UniqueFd open_regular_file(const std::filesystem::path& path, const std::string& what);

// The same for `name` relative to the open folder `dirfd`, shown as `shown` in errors.
UniqueFd open_regular_file_at(int dirfd, const char* name, const std::string& shown, const std::string& what);

// Replaces `out` with at most `max_bytes` of the open regular file `fd` (its fstat size);
// a file longer than `max_bytes` is a Corrupt error "<what> is larger than <max_bytes> bytes"
// before anything is allocated. `out`'s memory is reused as in read_file_into.
void read_regular_into(int fd, uint64_t max_bytes, std::string& out, const std::string& what);

// Opens the folder `rel` below the open folder `base` one component at a time with
// O_NOFOLLOW | O_DIRECTORY, creating missing ones (mode 0755) when `create` is set, so a
// symlink planted on the way is never followed: it is an InvalidArgument error naming
// `shown_base`/`rel` up to that component. `rel` must be relative and clean.
UniqueFd open_folder_below(int base, const std::filesystem::path& rel, bool create,
                           const std::filesystem::path& shown_base);

// fsync a file or directory by path.
void fsync_path(const std::filesystem::path& path);

// Starts writing the open file's dirty pages back (sync_file_range, SYNC_FILE_RANGE_WRITE)
// without waiting, so that a later sync_file_system() finds little left to do. Not a barrier.
void start_write_back(int fd, const std::string& what);

// The smallest file whose write-back a deferred writer starts at once: a small file is left to
// the one sync, which writes it in a batch with the others rather than as a lone small request.
inline constexpr uint64_t kEarlyWriteBackMin = uint64_t{1} << 20;

// The one durability barrier of a batch: syncfs(2) of the file system holding `path` (a file
// or folder), which makes every file and name written there durable, whoever wrote them, and
// reports a write-back error of any of them (Linux 5.8 and later).
void sync_file_system(const std::filesystem::path& path);

// A unique temporary name beside `path` (same folder, hidden, pid and random suffix).
std::filesystem::path temp_sibling(const std::filesystem::path& path);

// A unique temporary name for `path` inside `dir`.
std::filesystem::path temp_name_in(const std::filesystem::path& dir, const std::filesystem::path& path);

}  // namespace dm
