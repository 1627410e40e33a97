// HttpClient: the one libcurl layer of the project (object stores, token endpoints, metadata).
//
// Connections are reused through a pool of curl handles (one per concurrent request, kept for
// the next). Transport failures (connect errors, timeouts, resets, bodies shorter than their
// Content-Length) and HTTP 429/5xx are retried with exponential backoff and full jitter, but
// only for requests marked idempotent, and only within the RetryPolicy. A Retry-After on a 429
// or 503 (seconds or HTTP-date) lengthens the wait to what the server asked, unless that would
// take the waiting past the policy's budget: then the answer is returned at once. Thread-safe: any
// number of threads may call execute() at once. execute() returns every HTTP status to the
// caller (who maps it to an error kind); it throws dm::Error(Unavailable) only when no HTTP
// answer came back, with a message naming Request::target and never a header value.
//
// A request may name a BodySink: a 200 answer's body then goes to it as it arrives (a reader
// hashes a leaf while it downloads, into memory it owns), and every attempt starts it over.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dm::http {

struct RetryPolicy {
  unsigned max_attempts = 6;                       // first try included
  std::chrono::milliseconds initial_backoff{100};  // doubled per attempt, full jitter
  std::chrono::milliseconds max_backoff{3000};
  // All waits between the attempts of one request together, Retry-After included.
  std::chrono::milliseconds max_total_wait{30000};
  std::chrono::milliseconds connect_timeout{10000};
  // An attempt moving fewer than `min_speed` bytes per second for `stall_timeout` is given up
  // (a server trickling a body byte by byte), and so is one lasting longer than
  // `attempt_timeout` in all (a body trickling just above that speed); both are retried.
  uint32_t min_speed = 1024;
  std::chrono::seconds stall_timeout{30};
  std::chrono::milliseconds attempt_timeout{std::chrono::minutes(10)};
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// Takes the body of a 200 answer as it arrives, in place of Response::body. The body of any
// other status still goes to Response::body (the error details a store reads). Each attempt
// that answers 200 calls begin() before its first byte, so a retry after a partial body starts
// the sink over. Returning false from either call refuses the answer: the attempt ends, is not
// retried, and execute() returns it with Response::sink_refused set. Called on the thread of
// execute(), never after it returns.
class BodySink {
 public:
  virtual ~BodySink() = default;
  // `length`: the answer's Content-Length, nullopt when it sent none.
  virtual bool begin(std::optional<uint64_t> length) = 0;
  // The next bytes of the body, in order.
  virtual bool append(std::string_view bytes) = 0;
};

struct Request {
  std::string method = "GET";  // GET, HEAD, PUT, POST, DELETE
  std::string url;
  Headers headers;
  std::string_view body;     // must outlive execute()
  bool idempotent = true;    // retried only when true
  std::string target;        // what messages name: "s3://bucket/object"
  BodySink* sink = nullptr;  // see BodySink; must outlive execute()
};

struct Response {
  long status = 0;
  Headers headers;            // names lower-cased
  std::string body;           // empty when a sink took it
  uint64_t body_bytes = 0;    // bytes of body received, in `body` or by the sink
  bool sink_refused = false;  // the request's sink refused this answer (see BodySink)
  unsigned attempts = 0;      // how many tries it took
  // The server's Retry-After (429/503) when it asked for more than the retry budget had left.
  std::optional<std::chrono::seconds> retry_after_beyond_budget;

  // The first header of that (lower-case) name, or "".
  std::string header(std::string_view lower_name) const;
  bool ok() const { return status >= 200 && status < 300; }
};

// Called before every attempt to add per-attempt headers (signatures, fresh tokens).
using Authorizer = std::function<void(Request&)>;

class HttpClient {
 public:
  explicit HttpClient(RetryPolicy policy = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Response execute(const Request& request, const Authorizer& authorize = {});

  const RetryPolicy& policy() const { return policy_; }

 private:
  struct Handle;
  std::unique_ptr<Handle> acquire();
  void release(std::unique_ptr<Handle> handle);
  // One attempt; returns false with `error` set when no complete HTTP answer came back.
  bool attempt(Handle& handle, const Request& request, Response& response, std::string& error, bool& transient);
  // The wait after failed attempt number `attempt_no` (full jitter), at most `left`.
  std::chrono::milliseconds backoff(unsigned attempt_no, std::chrono::milliseconds left);

  RetryPolicy policy_;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<Handle>> idle_;    // guarded by pool_mutex_
  std::mt19937_64 rng_{std::random_device{}()};  // backoff jitter; guarded by pool_mutex_
};

// Whether a status is worth another try (429 and 5xx except 501).
bool retryable_status(long status);

// "; the server asked to retry after N s, beyond the retry budget" when it did, else "".
std::string retry_after_note(const Response& response);

}  // namespace dm::http
