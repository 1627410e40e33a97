#include "common/http/http_client.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <random>
#include <thread>

#include "common/util/ascii.h"
#include "common/util/error.h"

namespace dm::http {

namespace {

std::once_flag curl_init_once;

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// Transport failures that a new attempt may cure.
bool retryable_curl_error(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

struct Transfer {
  CURL* easy = nullptr;
  Response* response = nullptr;
  BodySink* sink = nullptr;  // null: the body goes to response->body
  bool head = false;
  std::optional<uint64_t> content_length;
  enum class Route { Undecided, Sink, Body } route = Route::Undecided;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    t->response->headers.clear();  // a new response (after 100 Continue or a redirect)
    return size * count;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  auto name = ascii_lower(std::string(line.substr(0, colon)));
  auto value = trim(line.substr(colon + 1));
  if (name == "content-length" && !t->head) {
    try {
      t->content_length = std::stoull(value);
    } catch (const std::exception&) {
    }
  }
  t->response->headers.emplace_back(std::move(name), std::move(value));
  return size * count;
}

// Returning anything but the size given ends the transfer (CURLE_WRITE_ERROR).
size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view bytes(data, size * count);
  if (t->route == Transfer::Route::Undecided) {
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    t->route = t->sink != nullptr && status == 200 ? Transfer::Route::Sink : Transfer::Route::Body;
    if (t->route == Transfer::Route::Sink && !t->sink->begin(t->content_length)) {
      t->response->sink_refused = true;
      return 0;
    }
    if (t->route == Transfer::Route::Body && t->content_length)
      t->response->body.reserve(std::min<uint64_t>(*t->content_length, uint64_t{1} << 31));
  }
  if (t->route == Transfer::Route::Sink) {
    if (!t->sink->append(bytes)) {
      t->response->sink_refused = true;
      return 0;
    }
  } else {
    t->response->body.append(bytes);
  }
  t->response->body_bytes += bytes.size();
  return bytes.size();
}

// The wait a server asked for in Retry-After, as delay-seconds or an HTTP-date (libcurl parses
// both and gives seconds from now); nullopt when it sent none.
std::optional<std::chrono::seconds> retry_after_of(CURL* easy, const Response& r) {
  if (r.header("retry-after").empty()) return std::nullopt;
  curl_off_t seconds = 0;
  if (curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &seconds) != CURLE_OK) return std::nullopt;
  return std::chrono::seconds(std::max<curl_off_t>(seconds, 0));
}

}  // namespace

std::string Response::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return {};
}

bool retryable_status(long status) {
  return status == 429 || (status >= 500 && status != 501);
}

std::string retry_after_note(const Response& response) {
  if (!response.retry_after_beyond_budget) return {};
  return "; the server asked to retry after " + std::to_string(response.retry_after_beyond_budget->count()) +
         " s, beyond the retry budget";
}

struct HttpClient::Handle {
  CURL* easy = nullptr;
  char error[CURL_ERROR_SIZE] = {};
  Handle() : easy(curl_easy_init()) {
    if (!easy) throw Error(ErrorKind::Internal, "curl_easy_init failed");
  }
  ~Handle() { curl_easy_cleanup(easy); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
};

HttpClient::HttpClient(RetryPolicy policy) : policy_(policy) {
  std::call_once(curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (policy_.max_attempts == 0) policy_.max_attempts = 1;
}

HttpClient::~HttpClient() = default;

std::unique_ptr<HttpClient::Handle> HttpClient::acquire() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!idle_.empty()) {
      auto h = std::move(idle_.back());
      idle_.pop_back();
      return h;
    }
  }
  return std::make_unique<Handle>();
}

void HttpClient::release(std::unique_ptr<Handle> handle) {
  std::lock_guard lock(pool_mutex_);
  idle_.push_back(std::move(handle));
}

bool HttpClient::attempt(Handle& h, const Request& request, Response& response, std::string& error, bool& transient) {
  CURL* c = h.easy;
  curl_easy_reset(c);  // keeps the connection cache
  h.error[0] = '\0';
  response = Response{};
  Transfer transfer;
  transfer.easy = c;
  transfer.response = &response;
  transfer.sink = request.sink;
  transfer.head = request.method == "HEAD";

  curl_slist* list = nullptr;
  bool has_content_type = false;
  for (const auto& [k, v] : request.headers) {
    if (ascii_lower(k) == "content-type") has_content_type = true;
    list = curl_slist_append(list, (k + ": " + v).c_str());
  }
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
  if (!request.body.empty() && !has_content_type)
    list = curl_slist_append(list, "Content-Type: application/octet-stream");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(list, &curl_slist_free_all);

  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h.error);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(policy_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(policy_.min_speed));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(policy_.stall_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(policy_.attempt_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024L);
  curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024L);
  if (request.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT" || request.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data() ? request.body.data() : "");
    if (request.method == "PUT") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
  } else if (request.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  const CURLcode code = curl_easy_perform(c);
  if (response.sink_refused) {  // an answer, ended by the caller's own choice
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
    return true;
  }
  if (code != CURLE_OK) {
    error = h.error[0] ? std::string(h.error) : std::string(curl_easy_strerror(code));
    transient = retryable_curl_error(code);
    return false;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  // libcurl reports most short bodies itself; this also catches a server that closes early
  // on a connection it announced as "Connection: close".
  if (!transfer.head && response.status != 204 && response.status != 304) {
    const auto cl = response.header("content-length");
    if (!cl.empty() && response.header("content-encoding").empty()) {
      try {
        if (std::stoull(cl) != response.body_bytes) {
          error = "short body: " + std::to_string(response.body_bytes) + " of " + cl + " bytes";
          transient = true;
          return false;
        }
      } catch (const std::exception&) {
      }
    }
  }
  return true;
}

std::chrono::milliseconds HttpClient::backoff(unsigned attempt_no, std::chrono::milliseconds left) {
  // Full jitter: a random wait in [0, min(max, initial * 2^(n-1))].
  auto cap = policy_.initial_backoff * (1LL << std::min(attempt_no - 1, 20U));
  cap = std::min({cap, std::chrono::duration_cast<decltype(cap)>(policy_.max_backoff),
                  std::chrono::duration_cast<decltype(cap)>(left)});
  std::lock_guard lock(pool_mutex_);
  return std::chrono::milliseconds(
      std::uniform_int_distribution<long long>(0, std::max<long long>(cap.count(), 0))(rng_));
}

Response HttpClient::execute(const Request& request, const Authorizer& authorize) {
  auto handle = acquire();
  Response response;
  std::chrono::milliseconds waited{0};
  for (unsigned attempt_no = 1;; ++attempt_no) {
    Request signed_request = request;
    if (authorize) authorize(signed_request);
    std::string error;
    bool transient = false;
    const bool answered = attempt(*handle, signed_request, response, error, transient);
    response.attempts = attempt_no;
    const bool may_retry = request.idempotent && attempt_no < policy_.max_attempts;
    if (answered && !(may_retry && retryable_status(response.status))) break;
    if (!answered && !(may_retry && transient)) {
      release(std::move(handle));
      throw Error(ErrorKind::Unavailable, request.target + ": " + error + " (after " + std::to_string(attempt_no) +
                                              (attempt_no == 1 ? " attempt)" : " attempts)"));
    }
    const auto left = policy_.max_total_wait - waited;
    auto wait = backoff(attempt_no, left);
    if (answered && (response.status == 429 || response.status == 503)) {
      if (const auto asked = retry_after_of(handle->easy, response)) {
        if (*asked > left) {  // waiting less than asked would only meet the same answer
          response.retry_after_beyond_budget = *asked;
          break;
        }
        wait = std::max(wait, std::chrono::duration_cast<std::chrono::milliseconds>(*asked));
      }
    }
    waited += wait;
    spdlog::debug("http retry target={} attempt={} reason={} wait_ms={}", request.target, attempt_no,
                  answered ? "HTTP " + std::to_string(response.status) : error, wait.count());
    std::this_thread::sleep_for(wait);
  }
  release(std::move(handle));
  return response;
}

}  // namespace dm::http
