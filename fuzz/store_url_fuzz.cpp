// Fuzzes store URL parsing (open_store's grammar) and the sibling-bucket rule with arbitrary
// text: refusal only by dm::Error; an accepted URL has a known scheme, an absolute path for
// file:// and, for buckets, a non-empty bucket without '/' and a prefix that is "" or ends in
// one '/'.
#include <cstdint>
#include <string>

#include "common/store/open_store.h"
#include "common/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto url = dm::store::parse_store_url(text);
    if (url.scheme == "file") {
      if (url.path.empty() || url.path.front() != '/') __builtin_trap();
    } else if (url.scheme == "gs" || url.scheme == "s3") {
      if (url.bucket.empty() || url.bucket.find('/') != std::string::npos) __builtin_trap();
      if (!url.prefix.empty() && (url.prefix.back() != '/' || url.prefix.ends_with("//"))) __builtin_trap();
    } else {
      __builtin_trap();
    }
  } catch (const dm::Error&) {
  }
  // The text split in two: a config URL and a bucket name (decision 15).
  const auto cut = text.find('\n');
  if (cut != std::string::npos) {
    try {
      (void)dm::store::sibling_bucket_url(std::string_view(text).substr(0, cut),
                                          std::string_view(text).substr(cut + 1));
    } catch (const dm::Error&) {
    }
  }
  return 0;
}
