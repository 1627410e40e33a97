// Small local-file helpers with the durability rules of the project.
//
// write_file_atomic never leaves a torn file under the final name: it writes a temporary file
// in the same folder, fsyncs it, renames it over the target and fsyncs the folder. All
// functions throw dm::Error naming the path on failure.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

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

// fsync a file or directory by path.
void fsync_path(const std::filesystem::path& path);

// A unique temporary name beside `path` (same folder, hidden, pid and random suffix).
std::filesystem::path temp_sibling(const std::filesystem::path& path);

// A unique temporary name for `path` inside `dir`.
std::filesystem::path temp_name_in(const std::filesystem::path& dir, const std::filesystem::path& path);

}  // namespace dm
