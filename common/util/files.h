// Small local-file helpers with the durability rules of the project.
//
// write_file_atomic never leaves a torn file under the final name: it writes a temporary file
// in the same folder, fsyncs it, renames it over the target and fsyncs the folder. All
// functions throw dm::Error naming the path on failure.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/util/unique_fd.h"

namespace dm {

enum class AtomicWrite { Replace, NoReplace };

// Returns false (and writes nothing) for NoReplace when `path` already exists; the check and
// the publication are one atomic step (link(2)), so two writers can never both win.
// `temp_dir`, when given, holds the temporary file instead of the target's folder (it must be
// on the same file system). With `sync_directory` false the caller takes over making the new
// name durable (an fsync of the target's folder later); the content is fsynced either way.
bool write_file_atomic(const std::filesystem::path& path, std::string_view data, unsigned mode = 0644,
                       AtomicWrite how = AtomicWrite::Replace, const std::filesystem::path& temp_dir = {},
                       bool sync_directory = true);

std::string read_file(const std::filesystem::path& path);

// Replaces `out` with the file's content, reusing `out`'s memory: a caller that reads leaf after
// leaf into one buffer pays neither a fresh allocation (page faults) nor its zero-fill each time.
void read_file_into(const std::filesystem::path& path, std::string& out);

// Opens `path` for reading only if it is a regular file: a symlink (O_NOFOLLOW), FIFO, socket
// or device is a Corrupt error "<what> is not a regular file", and opening never blocks
// (O_NONBLOCK), so a planted FIFO cannot hang the caller. A missing file is NotFound.
UniqueFd open_regular_file(const std::filesystem::path& path, const std::string& what);

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

// A unique temporary name beside `path` (same folder, hidden, pid and random suffix).
std::filesystem::path temp_sibling(const std::filesystem::path& path);

// A unique temporary name for `path` inside `dir`.
std::filesystem::path temp_name_in(const std::filesystem::path& dir, const std::filesystem::path& path);

}  // namespace dm
