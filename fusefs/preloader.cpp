#include "fusefs/preloader.h"

#include <fnmatch.h>
#include <spdlog/spdlog.h>

#include <vector>

#include "common/util/error.h"

namespace dm::fusefs {

Preloader::Preloader(const BundleIndex& index, LeafLists& lists, BlockCache& cache, FetchQueue& queue, Metrics& metrics,
                     std::string pattern)
    : index_(index),
      lists_(lists),
      cache_(cache),
      queue_(queue),
      metrics_(metrics),
      pattern_(pattern.empty() ? std::string(1, '*') : std::move(pattern)) {}

Preloader::~Preloader() {
  if (matcher_.joinable()) matcher_.join();
  tasks_.close_and_wait();
}

void Preloader::start() {
  matcher_ = std::thread([this] { match_and_queue(); });
}

void Preloader::match_and_queue() {
  std::vector<Inode> files;
  uint64_t bytes = 0;
  for (Inode ino = kRootInode + 1; ino <= index_.inode_count(); ++ino) {
    if (tasks_.closed()) return;
    if (index_.is_dir(ino) || fnmatch(pattern_.c_str(), index_.path(ino).c_str(), 0) != 0) continue;
    files.push_back(ino);
    bytes += index_.size(ino);
  }
  matched_ = files.size();
  matched_bytes_ = bytes;
  metrics_.set_preload_files(files.size());
  spdlog::info("preload: {} files ({} bytes) match {}", files.size(), bytes, dm::quoted(pattern_));
  uint64_t order = 0;
  for (const Inode ino : files) {
    tasks_.queued();
    queue_.submit(Lane::Speculative, priority::kPreloadBase + order++, [this, ino](bool run) {
      if (run && !tasks_.closed()) preload(ino);
      tasks_.dequeued();
    });
  }
  all_queued_ = true;
  if (files.empty()) spdlog::info("preload: done, nothing to do");
}

void Preloader::preload(Inode ino) {
  try {
    if (index_.size(ino) > 0) {
      const auto leaves = lists_.get(ino);
      for (size_t i = 0; i < leaves->size(); ++i) {
        if (tasks_.closed()) return;
        cache_.warm(leaves, i, PrefetchKind::Preload, Keep::DiskOnly);
      }
    }
    file_done(false, index_.size(ino));
  } catch (const std::exception& e) {
    spdlog::warn("preload of {} failed: {}", dm::quoted(index_.path(ino)), e.what());
    file_done(true, 0);
  }
}

void Preloader::file_done(bool failed, uint64_t bytes) {
  metrics_.preload_file_done(failed, bytes);
  const uint64_t total = matched_.load();
  const uint64_t finished = (failed ? ++failed_ + done_.load() : ++done_ + failed_.load());
  if (!failed) done_bytes_ += bytes;
  const uint64_t step = std::max<uint64_t>(1, total / 10);
  if (finished == total) {
    spdlog::info("preload: done, {} of {} files cached ({} bytes), {} failed", done_.load(), total, done_bytes_.load(),
                 failed_.load());
  } else if (finished % step == 0) {
    spdlog::info("preload: {} of {} files done ({} bytes cached), {} failed", finished, total, done_bytes_.load(),
                 failed_.load());
  }
}

}  // namespace dm::fusefs
