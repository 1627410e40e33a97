#include "common/util/progress.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>

namespace dm {

Progress::Progress(std::string operation, uint64_t total_bytes, uint64_t total_files, bool quiet)
    : operation_(std::move(operation)),
      total_bytes_(total_bytes),
      total_files_(total_files),
      quiet_(quiet),
      terminal_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_report_(start_) {}

Progress::~Progress() {
  if (terminal_ && !quiet_ && !finished_) std::fputs("\n", stderr);
}

void Progress::add_bytes(uint64_t n) {
  bytes_ += n;
  maybe_report(false);
}

void Progress::file_done() {
  ++files_;
  maybe_report(false);
}

void Progress::finish() {
  maybe_report(true);
  std::lock_guard lock(report_mutex_);
  if (terminal_ && !quiet_ && !finished_) std::fputs("\n", stderr);
  finished_ = true;
}

void Progress::maybe_report(bool force) {
  if (quiet_) return;
  const auto now = std::chrono::steady_clock::now();
  const auto interval = terminal_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000);
  std::unique_lock lock(report_mutex_, std::try_to_lock);
  if (!lock.owns_lock() && !force) return;
  if (!lock.owns_lock()) lock.lock();
  if (finished_ || (!force && now - last_report_ < interval)) return;
  last_report_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double mib = static_cast<double>(bytes_.load()) / (1024.0 * 1024.0);
  const double total_mib = static_cast<double>(total_bytes_) / (1024.0 * 1024.0);
  const double rate = secs > 0 ? mib / secs : 0.0;
  if (terminal_) {
    const int width = 30;
    const double frac = total_bytes_ > 0 ? std::min(1.0, mib / total_mib)
                                         : (total_files_ > 0 ? double(files_) / double(total_files_) : 1.0);
    std::string bar(static_cast<size_t>(frac * width), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r%s [%s] %3.0f%% %.1f/%.1f MiB %llu/%llu files %.1f MiB/s ", operation_.c_str(), bar.c_str(),
                 frac * 100, mib, total_mib, static_cast<unsigned long long>(files_.load()),
                 static_cast<unsigned long long>(total_files_), rate);
    std::fflush(stderr);
  } else {
    spdlog::info("progress op={} bytes={} total_bytes={} files={} total_files={} mib_per_s={:.1f}", operation_,
                 bytes_.load(), total_bytes_, files_.load(), total_files_, rate);
  }
}

}  // namespace dm
