#define FUSE_USE_VERSION 312
#include "fusefs/page_cache_feed.h"

#include <fuse_lowlevel.h>
#include <spdlog/spdlog.h>

#include <cstring>

namespace dm::fusefs {

namespace {

int notify_store(fuse_session* session, Inode ino, uint64_t offset, const char* data, size_t size) {
  // FUSE_BUFVEC_INIT is a C compound literal; the same fields, set one by one.
  fuse_bufvec buf{};
  buf.count = 1;
  buf.buf[0].size = size;
  buf.buf[0].fd = -1;
  buf.buf[0].mem = const_cast<char*>(data);
  return fuse_lowlevel_notify_store(session, ino, static_cast<off_t>(offset), &buf,
                                    static_cast<fuse_buf_copy_flags>(0));
}

}  // namespace

PageCacheFeed::PageCacheFeed(Metrics& metrics, StoreStep store, size_t max_queued)
    : metrics_(metrics), store_(store ? std::move(store) : StoreStep(notify_store)), max_queued_(max_queued) {}

PageCacheFeed::~PageCacheFeed() {
  detach();
}

void PageCacheFeed::attach(fuse_session* session) {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  session_ = session;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void PageCacheFeed::detach() {
  {
    std::lock_guard lock(mutex_);
    if (!thread_.joinable()) return;
    stopping_ = true;
    queue_.clear();
  }
  ready_.notify_all();
  thread_.join();
  std::lock_guard lock(mutex_);
  session_ = nullptr;
}

bool PageCacheFeed::offer(Inode ino, uint64_t offset, LeafData data) {
  {
    std::lock_guard lock(mutex_);
    if (session_ == nullptr || stopping_) return false;
    if (queue_.size() >= max_queued_) {
      metrics_.page_cache_dropped();
      return false;
    }
    queue_.push_back({ino, offset, std::move(data)});
  }
  ready_.notify_one();
  return true;
}

void PageCacheFeed::run() {
  for (;;) {
    Item item;
    fuse_session* session = nullptr;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      item = std::move(queue_.front());
      queue_.pop_front();
      session = session_;
    }
    const int rc = store_(session, item.ino, item.offset, item.data->data(), item.data->size());
    if (rc == 0) {
      metrics_.page_cache_pushed(item.data->size());
    } else {
      // ENOENT: the kernel has forgotten the inode; the next read simply comes to us.
      spdlog::debug("page cache store of inode {} at {} failed: {}", item.ino, item.offset, std::strerror(-rc));
    }
  }
}

}  // namespace dm::fusefs
