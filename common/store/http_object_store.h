// HttpObjectStore: what GcsStore and S3Store do alike, written once (pgBackRest's shared
// storage driver code is the model): whole and ranged reads, the create-if-absent that meets
// its own retried first attempt, and listings merged page by page in byte order below the
// store's prefix, with the ListPages guard. A driver supplies the protocol: how a request is
// made, how a listing page reads, and what an error body says (http_answer.h maps it).
//
// Thread-safe when the driver's hooks are. Errors follow store.h.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/http/http_client.h"
#include "common/store/http_answer.h"
#include "common/store/store.h"

namespace dm::store {

class HttpObjectStore : public Store {
 public:
  std::string get(std::string_view name) final;
  // The body streams into `out` (its memory reused) or the caller's buffer: no second copy.
  void get_into(std::string_view name, std::string& out, uint64_t max_size) final;
  size_t read_into(std::string_view name, uint64_t max_size, const BufferFor& buffer_for,
                   const OnArrived& on_arrived) final;
  std::string get_range(std::string_view name, uint64_t offset, uint64_t length) final;
  void put(std::string_view name, std::string_view data, PutMode mode) final;
  void list(std::string_view prefix, std::string_view delimiter,
            const std::function<void(const ListEntry&)>& on_entry) final;

 protected:
  // `prefix`: "" or "some/prefix/", the part of every object name the store hides.
  explicit HttpObjectStore(std::string prefix) : prefix_(std::move(prefix)) {}

  // One listing page: objects and common prefixes (full names, in any order) and the token of
  // the next page ("" after the last).
  struct ListPage {
    std::vector<ListEntry> entries;
    std::string next_token;
  };

  // GET of the object `name` (relative to the prefix, never empty) with `headers` (a Range);
  // a 200 body goes to `sink` when one is given (http::BodySink).
  virtual http::Response fetch(std::string_view name, const http::Headers& headers, http::BodySink* sink) = 0;
  // The upload of `data` as `name`; NoOverwrite is the protocol's create-if-absent precondition.
  // A driver checks what a successful answer reports (a stored checksum) before returning it.
  virtual http::Response upload(std::string_view name, std::string_view data, PutMode mode) = 0;
  // The page of the listing of `full_prefix` that `token` ("" for the first) names; throws
  // store.h's errors for a failed answer. `what` names the listing in messages.
  virtual ListPage fetch_list_page(const std::string& full_prefix, std::string_view delimiter, const std::string& token,
                                   const std::string& what) = 0;
  // What the driver reads in a failed answer (service, error code, missing bucket, advice);
  // HttpFailure::what is filled in by fail().
  virtual HttpFailure failure_of(const http::Response& answer, std::string_view name) const = 0;

  // Calls `fetch_page` with "" and then with each token it returns until it returns "", under
  // the ListPages guard (a token seen twice, too many pages) naming the listing `what`.
  static void for_each_page(const std::string& what,
                            const std::function<std::string(const std::string& token)>& fetch_page);

  // Throws the error a failed answer about `name` ("" for the bucket) means.
  [[noreturn]] void fail(const http::Response& answer, std::string_view name) const;
  // InvalidArgument for an empty object name.
  void check_name(std::string_view name) const;
  const std::string& prefix() const { return prefix_; }

 private:
  std::string prefix_;
};

}  // namespace dm::store
