// Parsing and writing one bundle-files-N.yaml of 1000 entries: the cost that dominates mounting
// and downloading bundles with many files (100 index files per 100 000 entries).
#include <benchmark/benchmark.h>

#include "common/model/documents.h"

namespace {

std::vector<dm::model::BundleEntry> make_entries() {
  std::vector<dm::model::BundleEntry> entries;
  for (int i = 0; i < 1000; ++i) {
    dm::model::BundleEntry e;
    e.hash = std::string(128, "0123456789abcdef"[i % 16]);
    e.name = "some/dir/file-" + std::to_string(i) + ".bin";
    e.mode = 0644;
    e.size = 1000 + static_cast<uint64_t>(i);
    entries.push_back(e);
  }
  return entries;
}

void BM_ParseIndexFile(benchmark::State& state) {
  const auto doc = dm::model::to_yaml(make_entries());
  for (auto _ : state) benchmark::DoNotOptimize(dm::model::parse_bundle_entries(doc, "bench"));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 1000);
}
BENCHMARK(BM_ParseIndexFile);

void BM_WriteIndexFile(benchmark::State& state) {
  const auto entries = make_entries();
  for (auto _ : state) benchmark::DoNotOptimize(dm::model::to_yaml(entries));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 1000);
}
BENCHMARK(BM_WriteIndexFile);

}  // namespace

BENCHMARK_MAIN();
