#include "common/purge/purge.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <unordered_set>

#include "common/cafs/key.h"
#include "common/cafs/root_blob.h"
#include "common/cafs/writer.h"
#include "common/model/timestamp.h"
#include "common/util/error.h"
#include "common/util/thread_pool.h"

namespace dm::purge {

namespace {

constexpr const char* kLockObject = "purge.lock";                    // Go's model.PurgeLock()
constexpr const char* kReverseIndexPrefix = "reverse-index/chunk-";  // Go's model.ReverseIndexPrefix()

using KeySet = std::unordered_set<cafs::Key, cafs::KeyHash>;

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Every key one bundle references: its entries' root keys, and the leaves each root blob lists.
// Root keys already in `keys` were expanded by an earlier bundle and are not fetched again.
void add_bundle_keys(model::Catalog& catalog, const std::string& repo, const model::BundleDescriptor& bundle,
                     store::Store& blobs, ThreadPool& pool, unsigned concurrency, KeySet& keys, std::mutex& keys_mutex,
                     std::atomic<uint64_t>& missing_roots) {
  std::vector<cafs::Key> roots;
  catalog.for_each_index_file(
      repo, bundle, concurrency, [&](size_t, const std::string& url, const std::vector<model::BundleEntry>& entries) {
        for (const auto& entry : entries) {
          const auto key = cafs::Key::from_hex(entry.hash);
          if (!key) {
            throw Error(ErrorKind::Corrupt,
                        "index file " + url + ": entry " + dm::quoted(entry.name) + " has an invalid hash");
          }
          std::lock_guard lock(keys_mutex);
          if (keys.insert(*key).second) roots.push_back(*key);
        }
      });
  TaskGroup group(pool);
  for (const auto& root : roots) {
    group.run([&, root] {
      const auto name = root.hex();
      std::string blob;
      try {
        blob = blobs.get(name);
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::NotFound) throw;
        ++missing_roots;
        spdlog::warn("purge: root blob {} of bundle {} in repo {} is missing; its leaves cannot be known",
                     store::object_url(blobs, name), dm::quoted(bundle.id), dm::quoted(repo));
        return;
      }
      const auto leaves = cafs::decode_root_blob(blob, root, bundle.leaf_size, store::object_url(blobs, name));
      std::lock_guard lock(keys_mutex);
      keys.insert(leaves.begin(), leaves.end());
    });
  }
  group.wait();
}

KeySet referenced_keys(const std::vector<model::Catalog*>& catalogs, store::Store& blobs, unsigned concurrency,
                       Report& report) {
  ThreadPool pool(std::max(1u, concurrency));
  KeySet keys;
  std::mutex keys_mutex;
  std::atomic<uint64_t> missing_roots{0};
  for (auto* catalog : catalogs) {
    for (const auto& repo : catalog->list_repos()) {
      for (const auto& bundle : catalog->list_bundles(repo.name)) {
        add_bundle_keys(*catalog, repo.name, bundle, blobs, pool, concurrency, keys, keys_mutex, missing_roots);
        ++report.bundles;
      }
    }
  }
  report.missing_roots = missing_roots;
  report.referenced_keys = keys.size();
  return keys;
}

}  // namespace

int64_t minimum_grace_seconds() {
  return cafs::kRefreshAfterSeconds;
}

uint64_t count_referenced_keys(const std::vector<model::Catalog*>& catalogs, store::Store& blobs, unsigned concurrency,
                               Report& report) {
  return referenced_keys(catalogs, blobs, concurrency, report).size();
}

Report delete_unused_blobs(const std::vector<model::Catalog*>& catalogs, store::Store& blobs, const Options& options) {
  if (options.grace_seconds < minimum_grace_seconds()) {
    throw Error(ErrorKind::InvalidArgument, "purge grace period of " + std::to_string(options.grace_seconds) +
                                                "s is below the minimum of " + std::to_string(minimum_grace_seconds()) +
                                                "s: uploads re-write a re-used blob only when it is older than that");
  }
  Report report;
  report.dry_run = options.dry_run;
  // The clock is read before the scan: a bundle committed after this point is covered by the
  // grace period, one committed before it is in the scan.
  report.started = now_seconds();
  report.cutoff = report.started - options.grace_seconds;
  const auto keys = referenced_keys(catalogs, blobs, options.concurrency, report);

  std::vector<std::string> unreferenced;
  blobs.list("", "", [&](const store::ListEntry& e) {
    if (e.is_prefix) return;
    const auto key = cafs::Key::from_hex(e.name);
    if (!key) return;  // not a datamon blob: never ours to delete
    ++report.scanned;
    if (keys.count(*key)) {
      ++report.in_use;
    } else {
      unreferenced.push_back(e.name);
    }
  });

  ThreadPool pool(std::max(1u, options.concurrency));
  std::atomic<uint64_t> more_recent{0}, deleted{0}, deleted_bytes{0};
  TaskGroup group(pool);
  for (const auto& name : unreferenced) {
    group.run([&, name] {
      const auto info = blobs.stat(name);
      if (!info) return;  // gone meanwhile
      if (!info->modified || *info->modified >= report.cutoff) {
        ++more_recent;
        return;
      }
      if (!options.dry_run && !blobs.remove_if_older(name, report.cutoff)) {
        ++more_recent;  // re-written (re-used by an upload) since it was listed
        return;
      }
      ++deleted;
      deleted_bytes += info->size;
    });
  }
  group.wait();
  report.more_recent = more_recent;
  report.deleted = deleted;
  report.deleted_bytes = deleted_bytes;
  return report;
}

void lock(store::Store& metadata, bool force) {
  const std::string doc = "locked_at: \"" + model::Timestamp::now_utc().rfc3339nano() + "\"\n";
  try {
    metadata.put(kLockObject, doc, force ? store::PutMode::Overwrite : store::PutMode::NoOverwrite);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::AlreadyExists) throw;
    throw Error(ErrorKind::AlreadyExists, "a purge lock exists (" + store::object_url(metadata, kLockObject) +
                                              "): another purge job is running, or one failed (use --force)");
  }
}

void unlock(store::Store& metadata) {
  try {
    metadata.remove(kLockObject);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::NotFound) throw;
  }
}

uint64_t delete_reverse_lookup(store::Store& metadata) {
  std::vector<std::string> chunks;
  metadata.list(kReverseIndexPrefix, "", [&](const store::ListEntry& e) {
    if (!e.is_prefix) chunks.push_back(e.name);
  });
  for (const auto& chunk : chunks) metadata.remove(chunk);
  return chunks.size();
}

}  // namespace dm::purge
