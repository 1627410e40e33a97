// Upgrade: restores a bundle of an older PostgreSQL major and runs pg_upgrade to the server
// binaries' major (`datamon pg restore --upgrade`).
//
// The bundle is restored into a sibling staging folder and checked with the old binaries, a new
// cluster is made by initdb (same checksum setting), pg_upgrade --link runs as the cluster's
// user, and only then is the data directory replaced by the new cluster. Until that rename the
// data directory is untouched; on failure the staging folders are kept and named in the error.
// Missing old binaries are an error naming both versions. Not thread-safe (one per command).
#pragma once

#include "pgmover/restore.h"

namespace dm::pgmover {

// `data_major` is the bundle's major, older than options.binaries.major.
RestoreResult restore_with_upgrade(model::Catalog& catalog, store::Store& blobs, const RestoreOptions& options,
                                   int data_major);

}  // namespace dm::pgmover
