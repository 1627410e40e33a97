#include "fusefs/metrics.h"

#include <prometheus/exposer.h>
#include <unistd.h>

#include <fstream>

#include "common/util/error.h"

namespace dm::fusefs {

namespace {

constexpr std::array<const char*, kFuseOpCount> kOpNames{"lookup", "getattr", "readdir", "read",
                                                         "open",   "statfs",  "write",   "other"};
constexpr std::array<const char*, kCacheTierCount> kTierNames{"ram", "disk", "shared", "store"};
constexpr std::array<const char*, kPrefetchKindCount> kPrefetchNames{"readahead", "random_file", "directory",
                                                                     "small_file", "preload"};

// Resident set size, read from /proc at scrape time so it is never stale.
class ProcessMemory final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::ifstream statm("/proc/self/statm");
    uint64_t pages_total = 0, pages_resident = 0;
    statm >> pages_total >> pages_resident;
    prometheus::MetricFamily family;
    family.name = "datamon_mount_resident_memory_bytes";
    family.help = "Resident memory of the mount process";
    family.type = prometheus::MetricType::Gauge;
    prometheus::ClientMetric metric;
    metric.gauge.value = static_cast<double>(pages_resident) * static_cast<double>(::sysconf(_SC_PAGESIZE));
    family.metric.push_back(metric);
    return {family};
  }
};

prometheus::Histogram::BucketBoundaries latency_buckets() {
  return {0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};
}

}  // namespace

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()), process_(std::make_shared<ProcessMemory>()) {
  auto& ops = prometheus::BuildCounter()
                  .Name("datamon_fuse_operations_total")
                  .Help("FUSE requests answered, by operation")
                  .Register(*registry_);
  auto& errors = prometheus::BuildCounter()
                     .Name("datamon_fuse_errors_total")
                     .Help("FUSE requests answered with an error, by operation")
                     .Register(*registry_);
  auto& latency = prometheus::BuildHistogram()
                      .Name("datamon_fuse_operation_seconds")
                      .Help("Time to answer a FUSE request, by operation")
                      .Register(*registry_);
  for (size_t i = 0; i < kFuseOpCount; ++i) {
    ops_[i] = &ops.Add({{"op", kOpNames[i]}});
    op_errors_[i] = &errors.Add({{"op", kOpNames[i]}});
    op_latency_[i] = &latency.Add({{"op", kOpNames[i]}}, latency_buckets());
  }
  auto& served = prometheus::BuildCounter()
                     .Name("datamon_cache_leaves_served_total")
                     .Help("Leaves handed to readers, by where they came from (ram, disk, shared fetch, store)")
                     .Register(*registry_);
  for (size_t i = 0; i < kCacheTierCount; ++i) served_[i] = &served.Add({{"tier", kTierNames[i]}});
  leaves_fetched_ = &prometheus::BuildCounter()
                         .Name("datamon_store_leaves_fetched_total")
                         .Help("Leaves fetched from the blob store and verified")
                         .Register(*registry_)
                         .Add({});
  bytes_fetched_ = &prometheus::BuildCounter()
                        .Name("datamon_store_bytes_fetched_total")
                        .Help("Bytes of leaves fetched from the blob store")
                        .Register(*registry_)
                        .Add({});
  fetch_latency_ = &prometheus::BuildHistogram()
                        .Name("datamon_store_fetch_seconds")
                        .Help("Time to fetch and verify one leaf")
                        .Register(*registry_)
                        .Add({}, latency_buckets());
  verify_failures_ = &prometheus::BuildCounter()
                          .Name("datamon_verification_failures_total")
                          .Help("Leaves whose BLAKE2b hash did not match their key")
                          .Register(*registry_)
                          .Add({});
  read_errors_ = &prometheus::BuildCounter()
                      .Name("datamon_read_errors_total")
                      .Help("Reads answered with EIO (missing or corrupt leaf, store failure)")
                      .Register(*registry_)
                      .Add({});
  auto& evictions = prometheus::BuildCounter()
                        .Name("datamon_cache_evictions_total")
                        .Help("Leaves evicted from a cache tier")
                        .Register(*registry_);
  ram_evictions_ = &evictions.Add({{"tier", "ram"}});
  disk_evictions_ = &evictions.Add({{"tier", "disk"}});
  auto& memory = prometheus::BuildGauge()
                     .Name("datamon_cache_bytes")
                     .Help("Bytes held, by tier (ram, disk) and by the inode table (index)")
                     .Register(*registry_);
  ram_bytes_ = &memory.Add({{"tier", "ram"}});
  disk_bytes_ = &memory.Add({{"tier", "disk"}});
  index_bytes_ = &memory.Add({{"tier", "index"}});
  auto& issued = prometheus::BuildCounter()
                     .Name("datamon_prefetch_issued_total")
                     .Help("Leaves fetched before any reader asked, by reason")
                     .Register(*registry_);
  for (size_t i = 0; i < kPrefetchKindCount; ++i) prefetch_issued_[i] = &issued.Add({{"kind", kPrefetchNames[i]}});
  prefetch_leaf_lists_ = &prometheus::BuildCounter()
                              .Name("datamon_prefetch_leaf_lists_total")
                              .Help("Leaf lists (root blobs) of files read ahead of any read of them")
                              .Register(*registry_)
                              .Add({});
  prefetch_used_ = &prometheus::BuildCounter()
                        .Name("datamon_prefetch_used_total")
                        .Help("Prefetched leaves that a reader then asked for")
                        .Register(*registry_)
                        .Add({});
  prefetch_wasted_ = &prometheus::BuildCounter()
                          .Name("datamon_prefetch_wasted_total")
                          .Help("Prefetched leaves evicted from RAM, or not kept, before any reader asked for them")
                          .Register(*registry_)
                          .Add({});
  prefetch_bytes_ = &prometheus::BuildCounter()
                         .Name("datamon_prefetch_bytes_total")
                         .Help("Bytes of leaves fetched by prefetches")
                         .Register(*registry_)
                         .Add({});
  page_cache_bytes_ = &prometheus::BuildCounter()
                           .Name("datamon_page_cache_pushed_bytes_total")
                           .Help("Verified bytes handed to the kernel page cache ahead of reads")
                           .Register(*registry_)
                           .Add({});
  page_cache_dropped_ = &prometheus::BuildCounter()
                             .Name("datamon_page_cache_dropped_total")
                             .Help("Verified leaves not handed to the kernel page cache: its feed's queue was full")
                             .Register(*registry_)
                             .Add({});
  preload_matched_ = &prometheus::BuildGauge()
                          .Name("datamon_preload_files")
                          .Help("Files the --preload pattern matched")
                          .Register(*registry_)
                          .Add({});
  auto& preloaded = prometheus::BuildCounter()
                        .Name("datamon_preload_files_done_total")
                        .Help("Files --preload finished, by result (cached, failed)")
                        .Register(*registry_);
  preload_done_ = &preloaded.Add({{"result", "cached"}});
  preload_failed_ = &preloaded.Add({{"result", "failed"}});
  preload_bytes_ = &prometheus::BuildCounter()
                        .Name("datamon_preload_bytes_total")
                        .Help("Bytes of the files --preload has cached")
                        .Register(*registry_)
                        .Add({});
}

Metrics::~Metrics() = default;

void Metrics::serve(const std::string& address) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address, 1);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::InvalidArgument, "cannot serve metrics on '" + address + "': " + e.what());
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(process_);
}

std::vector<int> Metrics::listening_ports() const {
  return exposer_ ? exposer_->GetListeningPorts() : std::vector<int>{};
}

void Metrics::fuse_op(FuseOp op, double seconds, bool failed) {
  const auto i = static_cast<size_t>(op);
  ops_[i]->Increment();
  if (failed) op_errors_[i]->Increment();
  op_latency_[i]->Observe(seconds);
}

void Metrics::leaf_served(CacheTier tier) {
  served_[static_cast<size_t>(tier)]->Increment();
}

void Metrics::leaf_fetched(uint64_t bytes, double seconds) {
  leaves_fetched_->Increment();
  bytes_fetched_->Increment(static_cast<double>(bytes));
  fetch_latency_->Observe(seconds);
}

void Metrics::verification_failure() {
  verify_failures_->Increment();
}
void Metrics::read_error() {
  read_errors_->Increment();
}
void Metrics::eviction(bool disk) {
  (disk ? disk_evictions_ : ram_evictions_)->Increment();
}
void Metrics::set_ram_cache_bytes(uint64_t bytes) {
  ram_bytes_->Set(static_cast<double>(bytes));
}
void Metrics::set_disk_cache_bytes(uint64_t bytes) {
  disk_bytes_->Set(static_cast<double>(bytes));
}
void Metrics::set_index_bytes(uint64_t bytes) {
  index_bytes_->Set(static_cast<double>(bytes));
}
void Metrics::prefetch_issued(PrefetchKind kind) {
  prefetch_issued_[static_cast<size_t>(kind)]->Increment();
}
void Metrics::prefetch_leaf_list() {
  prefetch_leaf_lists_->Increment();
}
void Metrics::prefetch_used() {
  prefetch_used_->Increment();
}
void Metrics::prefetch_wasted() {
  prefetch_wasted_->Increment();
}
void Metrics::prefetch_bytes(uint64_t bytes) {
  prefetch_bytes_->Increment(static_cast<double>(bytes));
}
void Metrics::page_cache_pushed(uint64_t bytes) {
  page_cache_bytes_->Increment(static_cast<double>(bytes));
}
void Metrics::page_cache_dropped() {
  page_cache_dropped_->Increment();
}
void Metrics::set_preload_files(uint64_t matched) {
  preload_matched_->Set(static_cast<double>(matched));
}
void Metrics::preload_file_done(bool failed, uint64_t bytes) {
  (failed ? preload_failed_ : preload_done_)->Increment();
  if (!failed) preload_bytes_->Increment(static_cast<double>(bytes));
}
double Metrics::prefetches_issued() const {
  double total = 0;
  for (const auto* c : prefetch_issued_) total += c->Value();
  return total;
}
double Metrics::served(CacheTier tier) const {
  return served_[static_cast<size_t>(tier)]->Value();
}

}  // namespace dm::fusefs
