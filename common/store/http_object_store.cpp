#include "common/store/http_object_store.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <span>

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
  auto answer = fetch(name, {}, nullptr);
  if (answer.status != 200) fail(answer, name);
  return std::move(answer.body);  // leaves are megabytes: no copy
}

namespace {

// Streams a 200 body into the caller's buffer, sized by the Content-Length; a body without one
// (never sent by S3 or GCS for an object) is gathered and copied once at the end.
class BufferSink final : public http::BodySink {
 public:
  BufferSink(uint64_t max_size, const Store::BufferFor& buffer_for, const Store::OnArrived& on_arrived)
      : max_size_(max_size), buffer_for_(buffer_for), on_arrived_(on_arrived) {}

  bool begin(std::optional<uint64_t> length) override {
    filled_ = 0;
    gathered_.clear();
    overflow_ = false;
    announced_ = length;
    if (!length) return true;
    if (*length > max_size_) return false;
    buffer_ = buffer_for_(static_cast<size_t>(*length)).first(static_cast<size_t>(*length));
    return true;
  }

  bool append(std::string_view bytes) override {
    if (!announced_) {
      gathered_.append(bytes);
      return gathered_.size() <= max_size_;
    }
    if (bytes.size() > buffer_.size() - filled_) {  // more than announced
      overflow_ = true;
      return false;
    }
    std::memcpy(buffer_.data() + filled_, bytes.data(), bytes.size());
    if (on_arrived_) on_arrived_({buffer_.data() + filled_, bytes.size()});
    filled_ += bytes.size();
    return true;
  }

  // After a complete answer: the bytes in the caller's buffer.
  size_t finish() {
    if (announced_) return filled_;
    buffer_ = buffer_for_(gathered_.size()).first(gathered_.size());
    std::memcpy(buffer_.data(), gathered_.data(), gathered_.size());
    if (on_arrived_) on_arrived_({buffer_.data(), buffer_.size()});
    return gathered_.size();
  }

  bool overflow() const { return overflow_; }

 private:
  uint64_t max_size_;
  const Store::BufferFor& buffer_for_;
  const Store::OnArrived& on_arrived_;
  std::optional<uint64_t> announced_;
  std::span<char> buffer_;
  size_t filled_ = 0;
  std::string gathered_;
  bool overflow_ = false;
};

}  // namespace

size_t HttpObjectStore::read_into(std::string_view name, uint64_t max_size, const BufferFor& buffer_for,
                                  const OnArrived& on_arrived) {
  check_name(name);
  BufferSink sink(max_size, buffer_for, on_arrived);
  const auto answer = fetch(name, {}, &sink);
  if (answer.status != 200) fail(answer, name);
  if (sink.overflow()) {
    throw Error(ErrorKind::Unavailable,
                object_url(*this, name) + ": the answer's body is longer than its Content-Length");
  }
  if (answer.sink_refused) throw_too_large(name, max_size);
  return sink.finish();
}

void HttpObjectStore::get_into(std::string_view name, std::string& out, uint64_t max_size) {
  const size_t length = read_into(name, max_size,
                                  [&](size_t size) {
                                    out.resize(size);
                                    return std::span<char>(out.data(), size);
                                  },
                                  {});
  out.resize(length);
}

std::string HttpObjectStore::get_range(std::string_view name, uint64_t offset, uint64_t length) {
  check_name(name);
  if (length == 0) {  // no Range can ask for nothing: the contract still wants NotFound
    if (!stat(name)) throw Error(ErrorKind::NotFound, "object " + object_url(*this, name) + " not found");
    return {};
  }
  auto answer = fetch(name, {{"Range", range_header(offset, length)}}, nullptr);
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
