#include "common/cafs/blake2b_impl.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>

// The suffixed variants are not in blake2.h. Weak references: a libb2 built without them (not
// a fat build) leaves them null, and the dispatcher's names are then the only candidate.
extern "C" {
int blake2b_init_param_ref(blake2b_state* S, const blake2b_param* P) __attribute__((weak));
int blake2b_update_ref(blake2b_state* S, const uint8_t* in, size_t inlen) __attribute__((weak));
int blake2b_final_ref(blake2b_state* S, uint8_t* out, size_t outlen) __attribute__((weak));
}

namespace dm::cafs {

namespace {

// Seconds one pass of `impl` takes over `data`.
double time_one_pass(const Blake2bImpl& impl, const std::vector<uint8_t>& data) {
  blake2b_param p;
  std::memset(&p, 0, sizeof p);
  p.digest_length = BLAKE2B_OUTBYTES;
  p.fanout = 1;
  p.depth = 1;
  blake2b_state s;
  uint8_t out[BLAKE2B_OUTBYTES];
  const auto start = std::chrono::steady_clock::now();
  impl.init_param(&s, &p);
  impl.update(&s, data.data(), data.size());
  impl.final(&s, out, sizeof out);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Blake2bImpl measure_fastest() {
  const auto impls = blake2b_impls();
  if (impls.size() == 1) return impls.front();
  // Large enough that the call overhead does not count, small enough to stay in L2 as a
  // leaf arriving in pieces does. Rounds alternate between candidates and each keeps its
  // best, so a moment of another process on the core does not decide.
  std::vector<uint8_t> data(size_t{128} * 1024);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131 + (i >> 9));
  std::vector<double> best(impls.size(), std::numeric_limits<double>::infinity());
  constexpr int kRounds = 6;
  for (int round = 0; round < kRounds; ++round) {
    for (size_t k = 0; k < impls.size(); ++k) best[k] = std::min(best[k], time_one_pass(impls[k], data));
  }
  const size_t fastest = static_cast<size_t>(std::min_element(best.begin(), best.end()) - best.begin());
  for (size_t k = 0; k < impls.size(); ++k) {
    spdlog::debug("blake2b {} variant: {:.0f} MiB/s{}", impls[k].name,
                  static_cast<double>(data.size()) / best[k] / (1 << 20), k == fastest ? " (chosen)" : "");
  }
  return impls[fastest];
}

}  // namespace

std::vector<Blake2bImpl> blake2b_impls() {
  std::vector<Blake2bImpl> impls{{"dispatcher", blake2b_init_param, blake2b_update, blake2b_final}};
  if (blake2b_init_param_ref && blake2b_update_ref && blake2b_final_ref) {
    impls.push_back({"portable", blake2b_init_param_ref, blake2b_update_ref, blake2b_final_ref});
  }
  return impls;
}

const Blake2bImpl& blake2b_impl() {
  static const Blake2bImpl chosen = measure_fastest();
  return chosen;
}

}  // namespace dm::cafs
