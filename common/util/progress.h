// Progress of a long operation (upload, download, restore, commit).
//
// On a terminal it redraws one status line on stderr at most ten times a second; otherwise it
// logs a structured line every few seconds. finish() prints the final totals once.
// Thread-safe: workers call add() concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace dm {

class Progress {
 public:
  Progress(std::string operation, uint64_t total_bytes, uint64_t total_files, bool quiet = false);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void add_bytes(uint64_t n);
  void file_done();
  void finish();

  uint64_t bytes() const { return bytes_.load(); }
  uint64_t files() const { return files_.load(); }

 private:
  void maybe_report(bool force);

  std::string operation_;
  uint64_t total_bytes_;
  uint64_t total_files_;
  bool quiet_;
  bool terminal_;
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> files_{0};
  std::chrono::steady_clock::time_point start_;
  std::mutex report_mutex_;
  std::chrono::steady_clock::time_point last_report_;
  bool finished_ = false;
};

}  // namespace dm
