#include "common/store/open_store.h"

#include <filesystem>

#include "common/store/local_store.h"
#include "common/util/error.h"

namespace dm::store {

namespace {

bool has_scheme(std::string_view url) { return url.find("://") != std::string_view::npos; }

std::string normalise(std::string_view url) {
  if (has_scheme(url)) return std::string(url);
  return "gs://" + std::string(url);
}

}  // namespace

std::unique_ptr<Store> open_store(std::string_view raw_url, const StoreOptions& options) {
  const std::string url = normalise(raw_url);
  if (url.rfind("file://", 0) == 0) {
    const std::string path = url.substr(7);
    if (path.empty() || path.front() != '/') {
      throw Error(ErrorKind::InvalidArgument, "store URL '" + url + "' must name an absolute path (file:///abs/path)");
    }
    return std::make_unique<LocalStore>(path, options.create_local);
  }
  if (url.rfind("gs://", 0) == 0 || url.rfind("s3://", 0) == 0) {
    throw Error(ErrorKind::InvalidArgument, "store URL '" + url + "': this build has no " + url.substr(0, 2) +
                                                " backend yet (use file:///path)");
  }
  throw Error(ErrorKind::InvalidArgument, "store URL '" + url + "' has an unknown scheme (file://, gs://, s3://)");
}

std::string sibling_bucket_url(std::string_view config_raw, std::string_view bucket) {
  if (has_scheme(bucket)) return std::string(bucket);
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
