// The mount's disk-cache hit, single thread, 2 MiB leaves: read back with its CRC32C check only
// (verify:0, what a hit cost before issue 17) and also BLAKE2b-verified against its key
// (verify:1, what BlockCache does now). The difference is the price of decision 4 on that tier.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <random>
#include <string>

#include "common/cafs/hasher.h"
#include "common/cafs/reader.h"
#include "common/store/local_store.h"
#include "fusefs/disk_cache.h"

namespace {

void BM_DiskCacheHit(benchmark::State& state) {
  const bool verify = state.range(0) != 0;
  const auto dir = std::filesystem::temp_directory_path() / ("dm-disk-cache-bench-" + std::to_string(::getpid()));
  std::string data(dm::cafs::kDefaultLeafSize, '\0');
  std::mt19937_64 rng(1);
  for (auto& c : data) c = static_cast<char>(rng());
  const auto key = dm::cafs::leaf_key_at({reinterpret_cast<const uint8_t*>(data.data()), data.size()},
                                         dm::cafs::kDefaultLeafSize, 0, 1);
  {
    dm::fusefs::DiskCache cache(dir / "cache", uint64_t{1} << 30);
    cache.put(key, data);
    dm::store::LocalStore blobs(dir / "blob");
    dm::cafs::Reader reader(blobs, dm::cafs::kDefaultLeafSize, false, true);
    for (auto _ : state) {
      auto hit = cache.get(key, data.size());
      if (verify) reader.verify_leaf(*hit, key, 0, 1);
      benchmark::DoNotOptimize(hit);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_DiskCacheHit)->ArgName("verify")->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
