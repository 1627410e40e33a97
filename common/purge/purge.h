// Purge: deleting the blobs that no bundle references, safely while uploads run.
//
// Go's design (pkg/core/purge.go, docs/purge.md): index every key the bundles of every context
// sharing the blob bucket reference, then delete unindexed blobs older than the index. Here
// the index is built in memory at the start of each run (no stored reverse-lookup to go
// stale), and "older than the index" becomes a grace period: a blob is deleted only if it is
// unreferenced AND was last written more than `grace` before the run started.
//
// Why that is safe against a concurrent upload: an upload that re-uses an existing blob
// re-writes it when it is older than cafs::kRefreshAfterSeconds (cafs/writer.h), so every blob
// a not-yet-committed bundle will reference was written at most kRefreshAfterSeconds before
// the upload looked at it. A bundle the scan missed was committed after the run started, so
// with grace >= kRefreshAfterSeconds + the longest upload, all its blobs are newer than the
// cutoff. The age is checked again at the moment of deletion (Store::remove_if_older).
// Not covered: a bundle whose parent is deleted while it uploads (the writer does not look at
// blobs it knows from the parent).
//
// Errors: any unreadable repo, bundle or index file stops the run before anything is deleted
// (a scan that missed a bundle could delete its blobs). A root blob that is missing is
// counted and logged: its file is unreadable already, and its leaves cannot be known.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/model/catalog.h"
#include "common/store/store.h"

namespace dm::purge {

struct Options {
  int64_t grace_seconds = int64_t{24} * 3600;
  bool dry_run = false;
  unsigned concurrency = 8;  // root blobs fetched and blobs examined at once
};

// The counts Go's `purge delete-unused` prints, plus what the scan found.
struct Report {
  int64_t started = 0;  // seconds since the Unix epoch; the cutoff is started - grace
  int64_t cutoff = 0;
  uint64_t bundles = 0;          // bundles scanned, over every catalog
  uint64_t referenced_keys = 0;  // distinct root and leaf keys they reference
  uint64_t missing_roots = 0;    // root blobs referenced but not in the bucket
  uint64_t scanned = 0;          // blob keys listed in the bucket
  uint64_t in_use = 0;           // of those, referenced
  uint64_t more_recent = 0;      // unreferenced but written after the cutoff (or of unknown age)
  uint64_t deleted = 0;          // unreferenced and older: deleted (or, on a dry run, would be)
  uint64_t deleted_bytes = 0;
  bool dry_run = false;
};

// Smallest grace accepted: below it a blob an upload is re-using may look unused.
int64_t minimum_grace_seconds();

// Scans every bundle of every catalog in `catalogs` (the contexts that share `blobs`), then
// every object of `blobs` named as a key (128 hex characters; anything else is left alone).
// InvalidArgument when the grace is below minimum_grace_seconds().
Report delete_unused_blobs(const std::vector<model::Catalog*>& catalogs, store::Store& blobs, const Options& options);

// The distinct keys (root and leaf) the bundles of `catalogs` reference; `report` gets the
// bundle and missing-root counts. What `purge build-reverse-lookup` counts.
uint64_t count_referenced_keys(const std::vector<model::Catalog*>& catalogs, store::Store& blobs, unsigned concurrency,
                               Report& report);

// Go's purge job lock, "purge.lock" in the metadata bucket: created NoOverwrite (AlreadyExists
// names it when another job holds it), or replaced with `force`.
void lock(store::Store& metadata, bool force);
void unlock(store::Store& metadata);

// Removes Go's stored reverse-lookup index ("reverse-index/chunk-N.yaml"); returns how many.
uint64_t delete_reverse_lookup(store::Store& metadata);

}  // namespace dm::purge
