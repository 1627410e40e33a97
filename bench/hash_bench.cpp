// Leaf hashing throughput (BLAKE2b tree mode through libb2), single thread: the floor for upload
// and for verified reads. Compare with `b2sum` on the same bytes (bench/core_transfer.sh does).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/cafs/blake2b_impl.h"
#include "common/cafs/hasher.h"

namespace {

void BM_LeafKey(benchmark::State& state) {
  const auto size = static_cast<size_t>(state.range(0));
  std::string data(size, '\0');
  std::mt19937_64 rng(1);
  for (auto& c : data) c = static_cast<char>(rng());
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  for (auto _ : state) {
    benchmark::DoNotOptimize(dm::cafs::leaf_key_at(bytes, dm::cafs::kDefaultLeafSize, 0, 2));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
  state.SetLabel(std::string(dm::cafs::blake2b_impl().name));
}
BENCHMARK(BM_LeafKey)->Arg(4096)->Arg(64 * 1024)->Arg(2 * 1024 * 1024);

// Each libb2 variant over one leaf, plain parameters: the figures blake2b_impl() chooses by.
void BM_Blake2bVariant(benchmark::State& state) {
  const auto impl = dm::cafs::blake2b_impls().at(static_cast<size_t>(state.range(0)));
  std::vector<uint8_t> data(dm::cafs::kDefaultLeafSize, 0x5a);
  uint8_t out[BLAKE2B_OUTBYTES];
  for (auto _ : state) {
    blake2b_param p{};
    p.digest_length = BLAKE2B_OUTBYTES;
    p.fanout = 1;
    p.depth = 1;
    blake2b_state s;
    impl.init_param(&s, &p);
    impl.update(&s, data.data(), data.size());
    impl.final(&s, out, sizeof out);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
  state.SetLabel(std::string(impl.name));
}
BENCHMARK(BM_Blake2bVariant)->DenseRange(0, static_cast<int64_t>(dm::cafs::blake2b_impls().size()) - 1);

}  // namespace

BENCHMARK_MAIN();
