#include "common/store/http_object_store.h"

#include <algorithm>

#include "common/store/list_pages.h"

namespace dm::store {

void HttpObjectStore::check_name(std::string_view name) const {
  if (name.empty()) throw Error(ErrorKind::InvalidArgument, "empty object name in " + describe());
}

void HttpObjectStore::fail(const http::Response& answer, std::string_view name) const {
  auto failure = failure_of(answer, name);
  failure.what = name.empty() ? describe() : object_url(*this, name);
  throw error_for_answer(answer, failure);
}

std::string HttpObjectStore::get(std::string_view name) {
  check_name(name);
  auto answer = fetch(name, {});
  if (answer.status != 200) fail(answer, name);
  return std::move(answer.body);  // leaves are megabytes: no copy
}

std::string HttpObjectStore::get_range(std::string_view name, uint64_t offset, uint64_t length) {
  check_name(name);
  if (length == 0) {  // no Range can ask for nothing: the contract still wants NotFound
    if (!stat(name)) throw Error(ErrorKind::NotFound, "object " + object_url(*this, name) + " not found");
    return {};
  }
  auto answer = fetch(name, {{"Range", range_header(offset, length)}});
  auto body = ranged_body(answer, offset, length, object_url(*this, name));
  if (!body) fail(answer, name);
  return std::move(*body);
}

void HttpObjectStore::put(std::string_view name, std::string_view data, PutMode mode) {
  check_name(name);
  // Whole-object writes are idempotent: a repeat leaves the same bytes, and NoOverwrite is
  // checked when the repeat meets its own first attempt.
  const auto answer = upload(name, data, mode);
  if (answer.ok() || is_own_retried_create(answer, data, [&] { return get(name); })) return;
  fail(answer, name);
}

void HttpObjectStore::list(std::string_view prefix, std::string_view delimiter,
                           const std::function<void(const ListEntry&)>& on_entry) {
  const std::string full_prefix = prefix_ + std::string(prefix);
  const std::string what = describe() + " (list " + dm::quoted(prefix) + ")";
  for_each_page(what, [&](const std::string& token) {
    auto page = fetch_list_page(full_prefix, delimiter, token, what);
    // Objects and common prefixes come in two sequences; both lie within this page's range, so
    // merging them per page keeps the whole listing in byte order.
    std::sort(page.entries.begin(), page.entries.end(),
              [](const ListEntry& a, const ListEntry& b) { return a.name < b.name; });
    for (auto& e : page.entries) {
      if (e.name.compare(0, prefix_.size(), prefix_) != 0) continue;
      e.name.erase(0, prefix_.size());
      on_entry(e);
    }
    return std::move(page.next_token);
  });
}

void HttpObjectStore::for_each_page(const std::string& what,
                                    const std::function<std::string(const std::string& token)>& fetch_page) {
  ListPages pages(what);
  for (auto token = fetch_page(""); !token.empty(); token = fetch_page(token)) pages.next(token);
}

}  // namespace dm::store
