// The coordination folder shared by the sidecars and the application wrapper (format spec §9.2).
//
// Signals are files: the old ones (mountdone, initupload, uploaddone, {db}/dbstarted,
// {db}/initdbupload, {db}/dbuploaddone) keep their names so that a pod with the old wrapper
// still works; the new ones carry a one-line reason (fusefailed, {db}/dbfailed, appfailed).
// Every signal is published atomically (temporary file + rename), so a reader never sees a
// half-written reason. Anything in the pod may write the folder, so a signal is a regular file
// and nothing else: a symlink, a FIFO or a device at a signal's name is not a signal, is never
// followed nor waited on, and a reason is read to at most kMaxReason bytes. Methods throw
// dm::Error naming the file. Stateless, thread-safe.
#pragma once

#include <time.h>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace dm::sidecar {

// Names of the signal files, relative to the coordination folder.
namespace signals {
inline constexpr const char* kMountDone = "mountdone";         // fuse sidecar: every source mounted
inline constexpr const char* kInitUpload = "initupload";       // wrapper: app succeeded, save outputs
inline constexpr const char* kUploadDone = "uploaddone";       // fuse sidecar: outputs saved, unmounted
inline constexpr const char* kFuseFailed = "fusefailed";       // fuse sidecar failed; content = reason
inline constexpr const char* kAppFailed = "appfailed";         // wrapper: end without saving; content = reason
inline constexpr const char* kFuseLock = "fuse.lock";          // held (flock) while the fuse sidecar lives
inline constexpr const char* kWrapperLock = "wrapper.lock";    // held while the wrapper lives
inline constexpr const char* kFuseProgress = "fuse.progress";  // fuse sidecar moved data; content = io total

std::string db_started(const std::string& db);      // {db}/dbstarted
std::string db_init_upload(const std::string& db);  // {db}/initdbupload
std::string db_upload_done(const std::string& db);  // {db}/dbuploaddone
std::string db_failed(const std::string& db);       // {db}/dbfailed; content = reason
std::string db_lock(const std::string& db);         // {db}/db.lock
std::string db_progress(const std::string& db);     // {db}/db.progress; content = io total (progress_beacon.h)
}  // namespace signals

class CoordDir {
 public:
  static constexpr size_t kMaxReason = 4096;

  explicit CoordDir(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path path(const std::string& name) const { return root_ / name; }

  // Creates the folder (and `sub` inside it, for a database) if missing. InvalidArgument when
  // `sub` is something else than a folder (a symlink to one elsewhere included).
  void ensure(const std::string& sub = {}) const;
  // Publishes `name` atomically with `reason` as its content (one line, may be empty).
  void raise(const std::string& name, const std::string& reason = {}) const;
  bool is_raised(const std::string& name) const;
  // When it was raised (its mtime), or nothing when it is not raised.
  std::optional<timespec> raised_at(const std::string& name) const;
  // The content of a raised signal (trimmed), or nothing when it is not raised.
  std::optional<std::string> reason(const std::string& name) const;
  // Removes a stale signal left by an earlier run; absent is fine.
  void clear(const std::string& name) const;

 private:
  std::filesystem::path root_;
};

}  // namespace dm::sidecar
