#include "fusefs/prefetcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace dm::fusefs {

Prefetcher::Prefetcher(const BundleIndex& index, LeafLists& lists, BlockCache& cache, FetchQueue& queue,
                       PageCacheFeed& feed, Metrics& metrics, uint64_t stride, const PrefetchOptions& options)
    : index_(index),
      lists_(lists),
      cache_(cache),
      queue_(queue),
      feed_(feed),
      metrics_(metrics),
      stride_(stride),
      options_(options) {}

Prefetcher::~Prefetcher() {
  stop();
}

uint64_t Prefetcher::leaf_bytes(Inode ino, size_t i) const {
  const uint64_t size = index_.size(ino);
  const uint64_t start = i * stride_;
  return start >= size ? 0 : std::min<uint64_t>(stride_, size - start);
}

bool Prefetcher::fits_cache(uint64_t bytes) const {
  if (const auto* disk = cache_.disk()) return bytes <= disk->budget() / 2;
  return bytes <= cache_.ram_budget() / 2;
}

void Prefetcher::on_read(Inode ino, const LeafList& leaves, const Readahead::Decision& d, size_t first, size_t last) {
  if (!enabled()) return;
  const size_t count = leaves->size();
  if (d.first) ahead_in_directory(ino);
  if (d.random) {
    random_read(ino, leaves, first, last);
  } else if (d.first) {
    // A first read from the start guesses nothing more of its own file: a reader that wants one
    // header and moves on (to the next file, whose fetch would share the link with the guess)
    // is as common as one that reads on, and the latter confirms itself with its next read.
  } else {
    if (d.confirmed && index_.size(ino) <= options_.small_file_bytes) {
      for (size_t i = 0; i < count; ++i) {
        if (i < first || i > last) {
          cache_.prefetch(leaves, i, priority::kNear + i, PrefetchKind::SmallFile, {}, Keep::Ram, leaf_bytes(ino, i));
        }
      }
    }
    const size_t window = std::min(d.window, options_.readahead_max);
    for (size_t i = last + 1; i < count && i <= last + window; ++i) {
      if (in_page_cache(ino, i)) continue;
      cache_.prefetch(leaves, i, priority::kNear + (i - last), PrefetchKind::Readahead);
    }
  }
}

void Prefetcher::ahead_in_directory(Inode ino) {
  if (ino == kRootInode) return;
  const Inode dir = index_.parent(ino);
  const auto kids = index_.children(dir);
  const size_t rank = index_.child_rank(ino);
  std::vector<std::pair<Inode, size_t>> files;  // (file, distance)
  std::vector<std::pair<Inode, size_t>> lists;  // (file, distance): its leaf list only
  {
    std::lock_guard lock(mutex_);
    if (read_.size() >= kMaxTracked) read_.clear();
    read_.insert(ino);
    if (scheduled_.size() >= kMaxTracked && !scheduled_.count(dir)) scheduled_.clear();
    Scheduled& done = scheduled_[dir];
    const size_t end = std::min(kids.size(), rank + 1 + options_.files_ahead);
    uint64_t bytes = 0;
    const bool inside = rank + 1 >= done.from && rank + 1 <= done.to;
    if (!inside) done = {rank + 1, rank + 1};
    size_t r = std::max(done.to, rank + 1);
    for (; r < end; ++r) {
      const Inode child = Inode{kids[r]} + 1;
      if (index_.is_dir(child) || index_.size(child) == 0 || read_.count(child)) continue;
      const uint64_t size = index_.size(child);
      bytes += size <= options_.small_file_bytes ? size : stride_;
      if (bytes > options_.directory_bytes && !files.empty()) break;
      files.emplace_back(child, r - rank);
    }
    done.to = std::max(done.to, r);
    // The files around this one that the walk above does not fetch: only their leaf lists (one
    // small root blob each), so that a reader who jumps to one of them (a reverse walk, a tool
    // taking headers) waits for one request, its first leaf, instead of two in a row.
    const size_t from = rank > options_.files_ahead ? rank - options_.files_ahead : 0;
    for (size_t k = from; k < end; ++k) {
      const Inode child = Inode{kids[k]} + 1;
      if (k == rank || (k > rank && k < r) || index_.is_dir(child) || index_.size(child) == 0 || read_.count(child)) {
        continue;
      }
      lists.emplace_back(child, k > rank ? k - rank : rank - k);
    }
  }
  for (const auto& [child, distance] : lists) {
    if (lists_.known(child)) continue;
    tasks_.queued();
    queue_.submit(
        Lane::Speculative, priority::kDirectory + distance,
        [this, child = child](bool run) {
          if (run && !tasks_.closed()) {
            try {
              if (!lists_.known(child)) {
                lists_.get(child);
                metrics_.prefetch_leaf_list();
              }
            } catch (const std::exception& e) {
              spdlog::debug("prefetch of the leaf list of {} failed: {}", index_.path(child), e.what());
            }
          }
          tasks_.dequeued();
        },
        cafs::Key::kSize);
  }
  for (const auto& [child, distance] : files) {
    tasks_.queued();
    queue_.submit(Lane::Speculative, priority::kDirectory + distance,
                  [this, child = child, distance = distance](bool run) {
                    if (run && !tasks_.closed()) {
                      try {
                        const auto leaves = lists_.get(child);
                        const size_t wanted = index_.size(child) <= options_.small_file_bytes ? leaves->size() : 1;
                        for (size_t i = 0; i < wanted; ++i) {
                          // Every next file's first leaf before any file's second: the first
                          // byte of the next file opened is what a walker waits for next.
                          cache_.prefetch(leaves, i, priority::kDirectory + (i << 32) + distance,
                                          PrefetchKind::Directory, {}, Keep::Ram, leaf_bytes(child, i));
                        }
                      } catch (const std::exception& e) {
                        // A guess that fails costs nothing: a later read of the file reports the error.
                        spdlog::debug("prefetch of {} failed: {}", index_.path(child), e.what());
                      }
                    }
                    tasks_.dequeued();
                  });
  }
}

void Prefetcher::random_read(Inode ino, const LeafList& leaves, size_t first, size_t last) {
  const size_t count = leaves->size();
  const bool fits = fits_cache(index_.size(ino));
  bool whole = false;
  uint64_t base = 0;
  {
    std::lock_guard lock(mutex_);
    if (files_.size() >= kMaxTracked && !files_.count(ino)) files_.clear();
    auto& state = files_[ino];
    whole = fits && !state.whole;
    state.whole = state.whole || fits;
    // Newer reads first: the read counter, counted down, above the leaf distance.
    base = priority::kRandom + ((0xFFFFFFFull - (++random_reads_ & 0xFFFFFFFull)) << 24);
  }
  const auto distance = [&](size_t i) -> uint64_t { return i < first ? first - i : i - last; };
  // The whole file once; then, on every later random read, its neighbourhood moved up. A file
  // too large to keep gets only the neighbourhood, narrower: a region read at random is read
  // around its reads (row groups, tiles), and the extra fetches are what keep the store busy
  // while the reader works through one leaf (each guess is bounded by the reads that made it).
  const size_t reach = fits ? 4 : kNeighbours;
  const size_t from = whole ? 0 : (first > reach ? first - reach : 0);
  const size_t to = whole ? count : std::min(count, last + reach + 1);
  for (size_t i = from; i < to; ++i) {
    if ((i >= first && i <= last) || in_page_cache(ino, i)) continue;
    cache_.prefetch(
        leaves, i, base + std::min<uint64_t>(distance(i), 0xFFFFFF), PrefetchKind::RandomFile,
        [this, ino, i](const LeafData& data) { push(ino, i, data); },
        fits_cache(0) && cache_.disk() && index_.size(ino) > cache_.ram_budget() / 2 ? Keep::DiskOnly : Keep::Ram);
  }
}

void Prefetcher::on_leaf_read(Inode ino, size_t i, const LeafData& data, bool random) {
  if (random && enabled()) push(ino, i, data);
}

bool Prefetcher::in_page_cache(Inode ino, size_t i) {
  std::lock_guard lock(mutex_);
  const auto it = files_.find(ino);
  return it != files_.end() && i < it->second.pushed.size() && it->second.pushed[i];
}

void Prefetcher::push(Inode ino, size_t i, const LeafData& data) {
  // Only a leaf of exactly the length the index implies: a store never makes a file longer.
  const uint64_t size = index_.size(ino);
  const uint64_t start = i * stride_;
  if (start >= size || data->size() != std::min<uint64_t>(stride_, size - start)) return;
  {
    std::lock_guard lock(mutex_);
    if (files_.size() >= kMaxTracked && !files_.count(ino)) files_.clear();
    auto& pushed = files_[ino].pushed;
    if (pushed.size() <= i) pushed.resize(std::max(i + 1, (index_.size(ino) + stride_ - 1) / stride_));
    if (pushed[i]) return;
    pushed[i] = true;
  }
  if (!feed_.offer(ino, i * stride_, data)) {
    std::lock_guard lock(mutex_);
    if (auto it = files_.find(ino); it != files_.end() && it->second.pushed.size() > i) it->second.pushed[i] = false;
  }
}

}  // namespace dm::fusefs
