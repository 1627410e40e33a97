// How much memory this process may use: the machine's RAM, or less when its cgroup (a
// container's memory limit) says so. Sizes page-cache guesses: a mount that fills the kernel's
// page cache beyond what its pod may hold only makes the kernel evict what it just stored.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string_view>

namespace dm {

// A cgroup v2 memory.max text: bytes, or nullopt for "max" or anything that is not a number.
std::optional<uint64_t> parse_cgroup_memory_max(std::string_view text);

// The smaller of physical RAM and the limits in `cgroup_limits` (files that exist and say a
// number: cgroup v2's memory.max, v1's memory.limit_in_bytes). 0 only when the system reports no RAM.
uint64_t memory_limit(std::initializer_list<std::filesystem::path> cgroup_limits = {
                          "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"});

}  // namespace dm
