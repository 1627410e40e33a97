// LocalStore: a bucket that is a folder (file:// URLs, the embedded default store).
//
// Each object is a regular file at <root>/<name>. Writes go to the sibling folder
// <parent>/.<bucket>.dm-tmp/ (the bucket holds only objects), are fsynced
// and then renamed (Overwrite) or hard-linked (NoOverwrite, atomic create-if-absent) into
// place, so readers never see a torn object and two NoOverwrite writers never both succeed.
// Object names with empty, "." or ".." components, a leading '/', or a NUL are rejected.
// Reading trusts nothing in the folder: an object is a regular file (never a symlink, FIFO or
// device), read to at most its size at open and never past the caller's bound; get() bounds a
// whole object to kMaxWholeObject.
// With `defer_sync` (the blob bucket) put() publishes each object the same way but waits for
// nothing: it starts the write-back and leaves durability to flush(), one syncfs of the
// bucket's file system (every object is on it: rename does not cross file systems) instead of
// two fsyncs per object. Until then the object is whole for every reader; a power loss before
// flush() can lose it or leave it short (a prefix, on ext4 and XFS), and nothing refers to it
// yet: the uploader flushes before it writes an index, and rewrites a blob whose size is wrong.
// An object of at least kDirectWriteMin bytes from an aligned buffer (a leaf from the writer's
// BufferPool) is written past the page cache (write_bulk_at): blobs are written once and rarely
// read back on the machine that wrote them.
#pragma once

#include <atomic>
#include <filesystem>

#include "common/store/store.h"
#include "common/util/unique_fd.h"

namespace dm::store {

class LocalStore final : public Store {
 public:
  // The most get() reads of one object (documents, root blobs): far above any real one.
  static constexpr uint64_t kMaxWholeObject = uint64_t{1} << 30;

  // Creates `root` if `create` is set; otherwise a missing folder is a NotFound error naming it.
  explicit LocalStore(const std::filesystem::path& root, bool create = true, bool defer_sync = false);

  std::string describe() const override;
  std::string get(std::string_view name) override;
  void get_into(std::string_view name, std::string& out, uint64_t max_size) override;
  size_t read_into(std::string_view name, uint64_t max_size, const BufferFor& buffer_for,
                   const OnArrived& on_arrived) override;
  std::string get_range(std::string_view name, uint64_t offset, uint64_t length) override;
  std::optional<ObjectInfo> stat(std::string_view name) override;
  void put(std::string_view name, std::string_view data, PutMode mode) override;
  void list(std::string_view prefix, std::string_view delimiter,
            const std::function<void(const ListEntry&)>& on_entry) override;
  void remove(std::string_view name) override;
  // Moves the object aside (rename, atomic) before judging its age, then deletes it or puts it
  // back: a put() that lands before the move is seen in the age, one after it re-creates the
  // object, so no write is ever lost to a purge.
  bool remove_if_older(std::string_view name, int64_t cutoff) override;
  void flush() override;
  // A create is one trip through the folder's lock, a check and a create two (store.h).
  bool write_first_is_cheaper() const override { return true; }

  const std::filesystem::path& root() const { return root_; }

  // The object's file, opened for reading: only a regular file is an object (a symlink, FIFO,
  // socket or device in the folder is a Corrupt error naming the object, and opening never
  // blocks); a missing one is NotFound "object <url> not found".
  UniqueFd open_object(std::string_view name) const;

 private:
  std::filesystem::path path_of(std::string_view name) const;
  // An object named without folders (every blob) is reached from root_fd_: the bucket's path is
  // walked once, not twice per object written and once per object read.
  static bool in_root(std::string_view name) { return name.find('/') == std::string_view::npos; }

  std::filesystem::path root_;
  UniqueFd root_fd_;
  std::filesystem::path tmp_;
  bool defer_sync_;
  // Set once tmp_ has been created by this store: a put then makes no stat calls for it (an
  // upload of many small files makes tens of thousands of puts).
  std::atomic<bool> tmp_made_{false};
};

}  // namespace dm::store
