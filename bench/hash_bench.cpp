// Leaf hashing throughput (BLAKE2b tree mode through libb2), single thread: the floor for upload
// and for verified reads. Compare with `b2sum` on the same bytes (bench/core_transfer.sh does).
#include <benchmark/benchmark.h>

#include <random>
#include <string>

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
}
BENCHMARK(BM_LeafKey)->Arg(4096)->Arg(64 * 1024)->Arg(2 * 1024 * 1024);

}  // namespace

BENCHMARK_MAIN();
