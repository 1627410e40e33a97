// The mount's block cache on its warm paths, single thread, 2 MiB leaves: a RAM hit (what every
// re-read of a cached leaf costs) and a disk-tier hit with the RAM tier off (the leaf read from
// the disk cache into a leaf buffer and BLAKE2b-verified there; verify:0 shows the read and
// copies alone, without the hash that dominates). Uses only BlockCache's public
// API, so one source measures any version of the cache; `store_gets` must stay 0 in the loop.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "common/cafs/hasher.h"
#include "common/cafs/reader.h"
#include "common/cafs/writer.h"
#include "common/store/counting_store.h"
#include "common/store/local_store.h"
#include "common/util/thread_pool.h"
#include "fusefs/block_cache.h"
#include "fusefs/fetch_queue.h"
#include "fusefs/metrics.h"

namespace {

constexpr size_t kLeaves = 16;

struct Setup {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("dm-block-cache-bench-" + std::to_string(::getpid()));
  dm::store::LocalStore local{dir / "blob"};
  dm::store::CountingStore counting{local};
  dm::cafs::Reader reader;
  dm::fusefs::LeafList leaves;

  explicit Setup(bool verify) : reader(counting, dm::cafs::kDefaultLeafSize, false, verify) {
    std::string content(kLeaves * dm::cafs::kDefaultLeafSize, '\0');
    uint64_t x = 88172645463325252ull;
    for (auto& c : content) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      c = static_cast<char>(x);
    }
    dm::ThreadPool pool(2);
    dm::cafs::Writer writer(local, dm::cafs::kDefaultLeafSize, pool);
    const auto root = writer.put_bytes(content).root;
    leaves = std::make_shared<const std::vector<dm::cafs::Key>>(reader.leaf_keys(root));
  }
  ~Setup() { std::filesystem::remove_all(dir); }
};

void run(benchmark::State& state, const dm::fusefs::BlockCacheOptions& options, bool verify = true) {
  Setup setup(verify);
  dm::fusefs::FetchQueue queue(4, 4);
  dm::fusefs::Metrics metrics;
  {
    dm::fusefs::BlockCache cache(setup.reader, queue, metrics, options);
    for (size_t i = 0; i < kLeaves; ++i) cache.get(setup.leaves, i);  // warm: RAM, and disk when on
    cache.wait_idle();                                                // the disk writes
    setup.counting.gets = 0;
    size_t i = 0;
    for (auto _ : state) {
      auto leaf = cache.get(setup.leaves, i);
      benchmark::DoNotOptimize(leaf);
      i = (i + 1) % kLeaves;
    }
    state.counters["store_gets"] = static_cast<double>(setup.counting.gets.load());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * dm::cafs::kDefaultLeafSize));
}

void BM_BlockCacheRamHit(benchmark::State& state) {
  run(state, {});
}
BENCHMARK(BM_BlockCacheRamHit);

void BM_BlockCacheDiskHit(benchmark::State& state) {
  dm::fusefs::BlockCacheOptions options;
  options.ram_bytes = 0;  // every get misses RAM: a disk-tier hit each time
  options.disk_dir =
      std::filesystem::temp_directory_path() / ("dm-block-cache-bench-disk-" + std::to_string(::getpid()));
  run(state, options, state.range(0) != 0);
  std::filesystem::remove_all(options.disk_dir);
}
BENCHMARK(BM_BlockCacheDiskHit)->ArgName("verify")->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
