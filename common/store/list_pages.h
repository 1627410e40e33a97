// ListPages: the guard of a paginated listing (S3 continuation tokens, GCS page tokens)
// against a server that never ends it.
//
// A listing may take at most `max_pages` pages, and a token the server already gave in this
// listing (a loop) ends it at once: either is dm::Error(Unavailable) naming the listing (bucket
// and prefix). Tokens are remembered by a 64-bit hash, so a hostile server sending huge tokens
// costs 8 bytes a page. One object per listing; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

namespace dm::store {

class ListPages {
 public:
  // A million pages of 1000 names: a billion objects under one prefix.
  static constexpr size_t kMaxPages = 1'000'000;

  // `what` names the listing in errors: "s3://bucket (list 'prefix')".
  explicit ListPages(std::string what, size_t max_pages = kMaxPages) : what_(std::move(what)), max_(max_pages) {}

  // The server announced one more page, fetched with `token` (never empty).
  void next(std::string_view token);
  size_t pages() const { return pages_; }

 private:
  std::string what_;
  size_t max_;
  size_t pages_ = 1;  // the first page needs no token
  std::unordered_set<uint64_t> seen_;
};

}  // namespace dm::store
