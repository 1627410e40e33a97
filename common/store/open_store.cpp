#include "common/store/open_store.h"

#include <filesystem>
#include <tuple>

#include "common/auth/aws_credentials.h"
#include "common/auth/gcs_token_source.h"
#include "common/auth/token_source_cache.h"
#include "common/http/http_client.h"
#include "common/store/gcs/gcs_store.h"
#include "common/store/local_store.h"
#include "common/store/s3/s3_store.h"
#include "common/util/error.h"

namespace dm::store {

namespace {

bool has_scheme(std::string_view url) {
  return url.find("://") != std::string_view::npos;
}

std::string normalise(std::string_view url) {
  if (has_scheme(url)) return std::string(url);
  return "gs://" + std::string(url);
}

// GCS and S3 bucket names: letters, digits, '-', '_', '.', at most 222 characters, not "." or
// "..". Checked before any request, so a malformed --config never reaches the network.
bool plain_bucket_name(std::string_view name) {
  if (name.empty() || name.size() > 222 || name == "." || name == "..") return false;
  for (const char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// "gs://bucket/some/prefix" -> {"bucket", "some/prefix/"}.
std::pair<std::string, std::string> bucket_and_prefix(const std::string& url) {
  const std::string rest = url.substr(5);
  const auto slash = rest.find('/');
  std::string bucket = rest.substr(0, slash);
  std::string prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!prefix.empty()) prefix += '/';
  if (bucket.empty()) throw Error(ErrorKind::InvalidArgument, "store URL " + dm::quoted(url) + " names no bucket");
  if (!plain_bucket_name(bucket)) {
    throw Error(ErrorKind::InvalidArgument, "store URL " + dm::quoted(url) + " names the invalid bucket " +
                                                dm::quoted(bucket) + " (letters, digits, '-', '_' and '.')");
  }
  return {bucket, prefix};
}

// One HttpClient for every store of the process: the buckets of a context live on one endpoint,
// so their requests share a pool of open connections (and TLS sessions) instead of one each.
std::shared_ptr<http::HttpClient> process_http_client() {
  static const auto client = std::make_shared<http::HttpClient>();
  return client;
}

// The environment the caller gave; none at all when it gave none.
EnvLookup env_of(const StoreOptions& options) {
  if (options.env) return options.env;
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

std::unique_ptr<Store> open_gcs(const StoreUrl& url, const StoreOptions& options) {
  GcsLocation loc;
  if (!options.gcs_endpoint.empty()) loc.endpoint = options.gcs_endpoint;
  loc.bucket = url.bucket;
  loc.prefix = url.prefix;
  auto http = process_http_client();
  auto tokens = auth::gcs_token_source(options, env_of(options), http, &auth::TokenSourceCache::process());
  return std::make_unique<GcsStore>(std::move(loc), std::move(tokens), std::move(http));
}

std::unique_ptr<Store> open_s3(const StoreUrl& url, const StoreOptions& options) {
  const std::string& bucket = url.bucket;
  S3Location loc;
  loc.region = options.s3_region.empty() ? "us-east-1" : options.s3_region;
  loc.endpoint = options.s3_endpoint.empty() ? "https://s3." + loc.region + ".amazonaws.com" : options.s3_endpoint;
  loc.bucket = bucket;
  loc.prefix = url.prefix;
  auto creds = auth::load_aws_credentials(env_of(options));
  if (!creds) {
    throw Error(ErrorKind::PermissionDenied, "no S3 credentials for s3://" + bucket +
                                                 ": set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or use "
                                                 "~/.aws/credentials");
  }
  return std::make_unique<S3Store>(std::move(loc), std::move(*creds), process_http_client());
}

}  // namespace

StoreUrl parse_store_url(std::string_view raw_url) {
  const std::string url = normalise(raw_url);
  StoreUrl parsed;
  if (url.rfind("file://", 0) == 0) {
    parsed.scheme = "file";
    parsed.path = url.substr(7);
    if (parsed.path.empty() || parsed.path.front() != '/') {
      throw Error(ErrorKind::InvalidArgument, "store URL '" + url + "' must name an absolute path (file:///abs/path)");
    }
    return parsed;
  }
  if (url.rfind("gs://", 0) == 0)
    parsed.scheme = "gs";
  else if (url.rfind("s3://", 0) == 0)
    parsed.scheme = "s3";
  else
    throw Error(ErrorKind::InvalidArgument, "store URL '" + url + "' has an unknown scheme (file://, gs://, s3://)");
  std::tie(parsed.bucket, parsed.prefix) = bucket_and_prefix(url);
  return parsed;
}

std::unique_ptr<Store> open_store(std::string_view raw_url, const StoreOptions& options) {
  const StoreUrl url = parse_store_url(raw_url);
  if (url.scheme == "file") {
    return std::make_unique<LocalStore>(url.path, options.create_local, options.defer_local_sync);
  }
  if (url.scheme == "gs") return open_gcs(url, options);
  return open_s3(url, options);
}

std::string sibling_bucket_url(std::string_view config_raw, std::string_view bucket) {
  // The name comes from context.yaml, a document of the store: it names a sibling of the config
  // bucket and nothing else (no URL, no '/', no "..").
  if (!plain_bucket_name(bucket)) {
    throw Error(ErrorKind::InvalidArgument, "bucket name " + dm::quoted(bucket) +
                                                " is not a plain bucket name (letters, digits, '-', '_' and '.')");
  }
  const std::string config_url = normalise(config_raw);
  if (config_url.rfind("file://", 0) == 0) {
    std::filesystem::path p(config_url.substr(7));
    if (!p.has_filename()) p = p.parent_path();
    return "file://" + (p.parent_path() / std::string(bucket)).string();
  }
  const auto scheme_end = config_url.find("://");
  return config_url.substr(0, scheme_end + 3) + std::string(bucket);
}

}  // namespace dm::store
