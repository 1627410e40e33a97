// Blake2bImpl: which of libb2's BLAKE2b implementations the hasher runs.
//
// Debian's libb2 is a "fat" build: beside a dispatcher that picks a SIMD variant by CPU
// features, it exports each variant under a suffix. Which one is fastest depends on the CPU,
// and not the way the dispatcher guesses: over one 2 MiB leaf (bench/hash_bench), the portable
// C variant hashed 977 MiB/s against the dispatcher's 514 on one machine of ours, 722-732
// against 757-775 on another (AMD EPYC, where the dispatcher's AVX variant wins). A leaf's hash
// lies on the path of every cold read, so the fastest is measured once, on first use (about
// 2 ms), and kept.
// Only the dispatcher and the portable variant are candidates: calling a SIMD variant
// directly on a CPU without its instructions would crash.
#pragma once

#include <blake2.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace dm::cafs {

struct Blake2bImpl {
  std::string_view name;  // "dispatcher" or "portable"
  int (*init_param)(blake2b_state*, const blake2b_param*);
  int (*update)(blake2b_state*, const uint8_t*, size_t);
  int (*final)(blake2b_state*, uint8_t*, size_t);
};

// Every candidate this libb2 exports, the dispatcher first.
std::vector<Blake2bImpl> blake2b_impls();

// The fastest candidate on this CPU, measured on the first call. Thread-safe.
const Blake2bImpl& blake2b_impl();

}  // namespace dm::cafs
