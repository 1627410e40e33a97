// Opening a store from its URL (decision 14) and placing a context's buckets (decision 15).
//
//   file:///abs/path   LocalStore on that folder (the embedded default, no credentials)
//   gs://bucket        GcsStore (JSON API; endpoint override for emulators)
//   s3://bucket        S3Store (path-style; endpoint from options)
//   bucket             a bare name means gs://bucket, as in the Go datamon
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/auth/gcs_auth_options.h"
#include "common/store/store.h"
#include "common/util/env.h"

namespace dm::store {

// How to open stores; the GCS credential settings (credential_file, gcs_endpoint) are the auth
// layer's. `env` is where credentials are looked up (AWS_*, GOOGLE_*, GCE_METADATA_HOST): the
// caller passes it in (config::load_config the process environment); unset, it is empty.
struct StoreOptions : auth::GcsAuthOptions {
  EnvLookup env;
  std::string s3_endpoint;  // e.g. http://127.0.0.1:7480
  std::string s3_region = "us-east-1";
  bool create_local = true;       // create missing local bucket folders
  bool defer_local_sync = false;  // the blob bucket: one syncfs at flush() (see LocalStore)
};

// A store URL taken apart, without touching any store. Pure: open_store and the fuzzer use it.
struct StoreUrl {
  std::string scheme;  // "file", "gs" or "s3" (a bare name is gs)
  std::string path;    // file:// only: the absolute folder
  std::string bucket;  // gs:// and s3:// only: never empty
  std::string prefix;  // gs:// and s3:// only: "" or "some/prefix/"
};
// InvalidArgument naming the URL for an unknown scheme, a file:// path that is not absolute,
// or a bucket URL without a bucket or with a bucket name GCS and S3 would refuse.
StoreUrl parse_store_url(std::string_view url);

std::unique_ptr<Store> open_store(std::string_view url, const StoreOptions& options);

// The URL of bucket `bucket` on the same backend as `config_url`: for file:// a sibling
// folder of the config bucket's folder; for gs:// and s3:// the bucket of that name. `bucket`
// (read from context.yaml) must be a plain name: a URL, a '/', "." or ".." is InvalidArgument.
std::string sibling_bucket_url(std::string_view config_url, std::string_view bucket);

}  // namespace dm::store
