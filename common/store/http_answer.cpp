#include "common/store/http_answer.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/util/ascii.h"

namespace dm::store {

namespace {

std::optional<uint64_t> parse_number(std::string_view text) {
  uint64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace

Error error_for_answer(const http::Response& answer, const HttpFailure& failure) {
  const auto status = answer.status;
  const std::string detail =
      " (HTTP " + std::to_string(status) + (failure.code.empty() ? "" : " " + failure.code) + ")";
  const auto& what = failure.what;
  if (status == 404 && failure.bucket_missing) {
    return Error(ErrorKind::NotFound, what + ": bucket '" + failure.bucket + "' does not exist");
  }
  if (status == 404) return Error(ErrorKind::NotFound, "object " + what + " not found");
  if (status == 401 || status == 403) {
    return Error(ErrorKind::PermissionDenied, what + ": access denied" + failure.denied_advice + detail);
  }
  if (status == 412) return Error(ErrorKind::AlreadyExists, "object " + what + " already exists");
  if (failure.payload_rejected) {
    return Error(ErrorKind::Corrupt, what + ": the server received other bytes than were sent" + detail);
  }
  if (http::retryable_status(status)) {
    return Error(ErrorKind::Unavailable, what + ": " + failure.service + " endpoint failing" + detail + " after " +
                                             std::to_string(answer.attempts) + " attempts" +
                                             http::retry_after_note(answer));
  }
  return Error(ErrorKind::Unavailable, what + ": unexpected answer" + detail);
}

std::string range_header(uint64_t offset, uint64_t length) {
  return "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1);
}

std::optional<ContentRange> parse_content_range(std::string_view value) {
  constexpr std::string_view kUnit = "bytes ";
  if (value.substr(0, kUnit.size()) != kUnit) return std::nullopt;
  value.remove_prefix(kUnit.size());
  const auto dash = value.find('-');
  const auto slash = value.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || dash > slash) return std::nullopt;
  const auto first = parse_number(value.substr(0, dash));
  const auto last = parse_number(value.substr(dash + 1, slash - dash - 1));
  if (!first || !last || *last < *first) return std::nullopt;
  ContentRange range{*first, *last, std::nullopt};
  const auto total = value.substr(slash + 1);
  if (total != "*") {
    range.total = parse_number(total);
    if (!range.total || *range.total <= *last) return std::nullopt;
  }
  return range;
}

std::optional<std::string> ranged_body(http::Response& answer, uint64_t offset, uint64_t length,
                                       const std::string& what) {
  if (answer.status == 416) return std::string();  // the offset is at or past the end
  if (answer.status == 200) {                      // Range ignored: the whole object came
    if (offset >= answer.body.size()) return std::string();
    return answer.body.substr(offset, length);
  }
  if (answer.status != 206) return std::nullopt;
  const auto asked =
      what + ": bytes " + std::to_string(offset) + "-" + std::to_string(offset + length - 1) + " were asked but ";
  if (answer.body.size() > length) {
    throw Error(ErrorKind::Unavailable, asked + std::to_string(answer.body.size()) + " bytes came");
  }
  const auto header = answer.header("content-range");
  if (!header.empty()) {  // every server we know sends it; a body alone is judged by its size
    const auto range = parse_content_range(header);
    if (!range) throw Error(ErrorKind::Unavailable, asked + "the answer's Content-Range is malformed");
    if (range->first != offset || range->last - range->first + 1 != answer.body.size()) {
      throw Error(ErrorKind::Unavailable, asked + "the server sent bytes " + std::to_string(range->first) + "-" +
                                              std::to_string(range->last) + " in " +
                                              std::to_string(answer.body.size()) + " bytes");
    }
    // Shorter than asked is the object's end, or bytes lost on the way.
    if (answer.body.size() < length && range->total && range->last + 1 != *range->total) {
      throw Error(ErrorKind::Unavailable, asked + "the server sent bytes " + std::to_string(range->first) + "-" +
                                              std::to_string(range->last) + " of " + std::to_string(*range->total));
    }
  }
  return std::move(answer.body);
}

bool is_own_retried_create(const http::Response& answer, std::string_view data,
                           const std::function<std::string()>& read_back) {
  return answer.status == 412 && answer.attempts > 1 && read_back() == data;
}

std::string normalize_endpoint(std::string_view endpoint, const std::string& what) {
  std::string out(endpoint);
  const auto scheme_end = out.find("://");
  if (scheme_end == std::string::npos) {
    out = "http://" + out;
  } else {
    const auto scheme = ascii_lower(std::string_view(out).substr(0, scheme_end));
    if (scheme != "http" && scheme != "https") {
      throw Error(ErrorKind::InvalidArgument,
                  what + " endpoint " + dm::quoted(endpoint) + ": the scheme must be http or https");
    }
    out.replace(0, scheme_end, scheme);
  }
  const auto host_start = out.find("://") + 3;
  while (out.size() > host_start && out.back() == '/') out.pop_back();
  const auto host = endpoint_host(out);
  if (host.empty())
    throw Error(ErrorKind::InvalidArgument, what + " endpoint " + dm::quoted(endpoint) + " has no host");
  // Not quoted back: what precedes '@' may be a password.
  if (host.find('@') != std::string::npos) {
    throw Error(ErrorKind::InvalidArgument, what +
                                                " endpoint: user information (name@host) is not accepted; "
                                                "give the credentials through the configuration");
  }
  return out;
}

std::string endpoint_host(std::string_view endpoint) {
  const auto scheme_end = endpoint.find("://");
  auto rest = endpoint.substr(scheme_end == std::string_view::npos ? 0 : scheme_end + 3);
  return std::string(rest.substr(0, rest.find_first_of("/?#")));
}

}  // namespace dm::store
