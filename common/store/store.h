// The object store interface: one flat namespace of named, immutable-once-written objects.
//
// Implementations: LocalStore (a folder, file://), GcsStore (gs://), S3Store (s3://), and
// decorators that wrap any Store (counting, fault injection), which derive from StoreWrapper
// (store_wrapper.h) so that every method, including one added later, reaches the wrapped store. Object names are
// '/'-separated with no leading slash, as in datamon. Every method is thread-safe and throws dm::Error on failure with
// a message naming the store and the object:
//   NotFound        the object does not exist (get, get_range, remove)
//   AlreadyExists   put(..., NoOverwrite) found the object present
//   Unavailable     the backend failed after the retry budget (network, 5xx, 429)
//   PermissionDenied credentials rejected
//   InvalidArgument a versioned read on a store that keeps no versions (is_versioned())
// A reader never sees a torn object: an object is either absent or whole.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dm::store {

enum class PutMode {
  Overwrite,    // replace any existing object (labels)
  NoOverwrite,  // create only; atomic precondition on the backend, never check-then-write
};

struct ObjectInfo {
  uint64_t size = 0;
  std::optional<uint32_t> crc32c;  // when the backend reports one (GCS)
  // When the object was last written, in seconds since the Unix epoch (file mtime, GCS
  // `updated`, S3 Last-Modified); nullopt when the backend does not say. `purge` keeps any
  // blob without one.
  std::optional<int64_t> modified;
};

// One listing result: an object name, or a common prefix (ending with the delimiter) when a
// delimiter was given.
struct ListEntry {
  std::string name;
  bool is_prefix = false;
};

class Store {
 public:
  virtual ~Store() = default;

  // Where this store is, for messages and logs: "file:///data/dm/dev-blob", "gs://bucket",
  // "s3://bucket". Never contains credentials.
  virtual std::string describe() const = 0;

  // The whole object.
  virtual std::string get(std::string_view name) = 0;

  // The whole object into `out`, replacing its content; an object longer than `max_size` is a
  // Corrupt error naming it (a local folder refuses it before reading). A store that can fill
  // the caller's buffer in place (a local folder) reuses its memory; the others assign get()'s
  // result.
  virtual void get_into(std::string_view name, std::string& out, uint64_t max_size) {
    out = get(name);
    if (out.size() > max_size) throw_too_large(name, max_size);
  }

  // The whole object into memory the caller owns: `buffer_for(size)` is called with the
  // object's size and returns at least that many bytes; the result is the number of bytes
  // written, fewer than `size` only when a local file shrank while it was read (the caller's
  // hash check judges what arrived). `on_arrived`, when set, is given the bytes as they land in
  // that buffer, in order, so a caller can hash a leaf while it downloads; a later call of
  // `buffer_for` (a retried download) starts both over. An object longer than `max_size` is a
  // Corrupt error naming it, raised before `buffer_for` is called. By default one get() and
  // one copy; a local folder reads the file with pread straight into the buffer, and an HTTP
  // store streams the body into it.
  using BufferFor = std::function<std::span<char>(size_t size)>;
  using OnArrived = std::function<void(std::string_view bytes)>;
  virtual size_t read_into(std::string_view name, uint64_t max_size, const BufferFor& buffer_for,
                           const OnArrived& on_arrived);

  // `length` bytes from `offset`; shorter only at the end of the object; empty at or past it.
  virtual std::string get_range(std::string_view name, uint64_t offset, uint64_t length) = 0;

  // nullopt when the object does not exist.
  virtual std::optional<ObjectInfo> stat(std::string_view name) = 0;

  virtual void put(std::string_view name, std::string_view data, PutMode mode) = 0;

  // Calls `on_entry` for every object whose name starts with `prefix`, in byte-wise name
  // order. With a non-empty `delimiter`, names that continue past the prefix with the
  // delimiter are folded into one prefix entry (GCS/S3 semantics).
  virtual void list(std::string_view prefix, std::string_view delimiter,
                    const std::function<void(const ListEntry&)>& on_entry) = 0;

  virtual void remove(std::string_view name) = 0;

  // Removes the object only if it was last written before `cutoff` (seconds since the Unix
  // epoch); returns whether it removed it. An object that is gone, newer, or without a
  // modification time is kept. Used by `purge`, racing writers that re-write a blob to keep
  // it: the default stats then removes, so a write landing between the two (one round trip)
  // is lost; a local folder overrides it with a check that no write can slip through.
  virtual bool remove_if_older(std::string_view name, int64_t cutoff);

  // Whether a writer of content-addressed objects, which may be present already, should try a
  // create-if-absent put (NoOverwrite) before asking whether the object exists. True for a local
  // folder: the check and the create of a new name each take the folder's lock, and writers on
  // every core queue on it in turn, where a create alone takes it once and tells a present
  // object by AlreadyExists. False by default: a remote check is a cheap request, a wasted upload
  // is not, and a backend that ignored the precondition would overwrite without saying so.
  virtual bool write_first_is_cheaper() const { return false; }

  // Makes every object written to this bucket so far durable, whoever wrote it. Remote stores
  // are durable when put() returns; a local folder may defer syncing its directory to here.
  // Writers call it before they publish anything that refers to the objects (index files).
  virtual void flush() {}

  // Versions of an object, for `label get/list --with-versions` (Go's VersionedStore): a bucket
  // with versioning enabled keeps every write of an object as a version of its own (an S3
  // version id, a GCS generation). A local folder keeps none; the defaults below say so.

  // Whether this store keeps the earlier versions of objects (GCS bucket `versioning.enabled`,
  // S3 versioning Status Enabled). False by default.
  virtual bool is_versioned() { return false; }

  // The version ids of `name`, oldest first; empty when the object has no version. Deleted
  // versions (S3 delete markers) are left out. At most kMaxVersions: more is an Unavailable
  // error naming the object. The default throws throw_versioned_store_required(*this).
  virtual std::vector<std::string> list_versions(std::string_view name);

  // Version `version` (an id from list_versions) of `name`; NotFound when that version does not
  // exist, InvalidArgument for an id the backend could not have given, Corrupt when longer than
  // `max_size`. The default throws throw_versioned_store_required(*this).
  virtual std::string read_version(std::string_view name, std::string_view version, uint64_t max_size);

  // The most versions list_versions() returns for one object: a label rewritten every minute
  // for a year and a half stays below it; a hostile listing cannot grow memory past it.
  static constexpr size_t kMaxVersions = 1'000'000;

  bool exists(std::string_view name) { return stat(name).has_value(); }

 protected:
  [[noreturn]] void throw_too_large(std::string_view name, uint64_t max_size) const;
};

// InvalidArgument "versioned store is required: <describe()> does not enable versioning": Go's
// ErrVersionedStoreRequired, for a versioned read on a store that keeps no versions.
[[noreturn]] void throw_versioned_store_required(const Store& store);

// "<describe()>/<name>": how messages name an object.
std::string object_url(const Store& store, std::string_view name);

// The names of every object under `prefix`, at every level (no delimiter), in the store's order.
std::vector<std::string> names_under(Store& store, std::string_view prefix);

}  // namespace dm::store
