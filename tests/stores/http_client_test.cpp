// HttpClient against FakeHttpServer: retries (and their limits), Retry-After, connection reuse,
// short bodies, bodies streamed to a sink.
#include "common/http/http_client.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ctime>
#include <optional>

#include "common/util/error.h"
#include "stores/fake_http_server.h"
#include "support/expect_error.h"

namespace dm::test {
namespace {

http::RetryPolicy quick_policy(unsigned attempts = 4) {
  http::RetryPolicy p;
  p.max_attempts = attempts;
  p.initial_backoff = std::chrono::milliseconds(5);
  p.max_backoff = std::chrono::milliseconds(20);
  return p;
}

http::Request get(const FakeHttpServer& server, const std::string& path = "/x") {
  http::Request r;
  r.url = server.url() + path;
  r.target = "test://object";
  return r;
}

TEST(HttpClient, RetriesServerErrorsUntilSuccess) {
  unsigned calls = 0;
  FakeHttpServer server([&](const FakeRequest&) -> FakeResponse {
    ++calls;
    if (calls <= 2) return {503, {}, "busy"};
    if (calls == 3) return {429, {}, "slow down"};
    return {200, {}, "finally"};
  });
  http::HttpClient client(quick_policy(5));
  const auto r = client.execute(get(server));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "finally");
  EXPECT_EQ(r.attempts, 4u);
  EXPECT_EQ(calls, 4u);
}

TEST(HttpClient, GivesUpAfterTheBudgetAndReturnsTheLastStatus) {
  FakeHttpServer server([](const FakeRequest&) -> FakeResponse { return {503, {}, "storm"}; });
  http::HttpClient client(quick_policy(3));
  const auto r = client.execute(get(server));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.attempts, 3u);
  EXPECT_EQ(server.requests(), 3u);
}

// Records when each request arrived; answers the first with `first`, later ones with 200.
struct TimedServer {
  FakeResponse first;
  std::vector<std::chrono::steady_clock::time_point> arrivals;
  FakeHttpServer server;
  explicit TimedServer(FakeResponse first_answer)
      : first(std::move(first_answer)), server([this](const FakeRequest&) -> FakeResponse {
          arrivals.push_back(std::chrono::steady_clock::now());
          return arrivals.size() == 1 ? first : FakeResponse{200, {}, "ok"};
        }) {}
  std::chrono::milliseconds gap() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(arrivals.at(1) - arrivals.at(0));
  }
};

http::RetryPolicy slow_retry_policy() {
  http::RetryPolicy p = quick_policy(3);  // backoff alone would wait at most 5 ms
  p.max_total_wait = std::chrono::seconds(10);
  return p;
}

TEST(HttpClient, HonoursRetryAfterInSecondsOn503) {
  TimedServer t({503, {{"Retry-After", "1"}}, "busy"});
  http::HttpClient client(slow_retry_policy());
  const auto r = client.execute(get(t.server));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.attempts, 2u);
  EXPECT_GE(t.gap(), std::chrono::milliseconds(1000));
}

TEST(HttpClient, HonoursRetryAfterAsAnHttpDateOn429) {
  // Two seconds ahead, at one-second resolution: the wait is more than one second.
  const std::time_t when = std::time(nullptr) + 2;
  std::tm tm{};
  gmtime_r(&when, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  TimedServer t({429, {{"Retry-After", date}}, "slow down"});
  http::HttpClient client(slow_retry_policy());
  const auto r = client.execute(get(t.server));
  EXPECT_EQ(r.status, 200);
  EXPECT_GE(t.gap(), std::chrono::milliseconds(1000)) << date;
}

TEST(HttpClient, RetryAfterBeyondTheBudgetEndsTheRetriesAtOnce) {
  TimedServer t({503, {{"Retry-After", "3600"}}, "come back in an hour"});
  http::HttpClient client(slow_retry_policy());
  const auto r = client.execute(get(t.server));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.attempts, 1u);
  EXPECT_EQ(t.server.requests(), 1u);
  ASSERT_TRUE(r.retry_after_beyond_budget.has_value());
  EXPECT_EQ(*r.retry_after_beyond_budget, std::chrono::seconds(3600));
  EXPECT_NE(http::retry_after_note(r).find("3600 s"), std::string::npos) << http::retry_after_note(r);
}

TEST(HttpClient, RetryAfterCountsAgainstTheTotalWaitBudget) {
  // 1 s asked twice; the budget holds only one such wait: the second 503 is the answer.
  unsigned calls = 0;
  FakeHttpServer server([&](const FakeRequest&) -> FakeResponse {
    ++calls;
    return {503, {{"Retry-After", "1"}}, "busy"};
  });
  auto policy = slow_retry_policy();
  policy.max_attempts = 5;
  policy.max_total_wait = std::chrono::milliseconds(1500);
  http::HttpClient client(policy);
  const auto r = client.execute(get(server));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(calls, 2u);
  EXPECT_TRUE(r.retry_after_beyond_budget.has_value());
}

TEST(HttpClient, RetryAfterOnOtherStatusesIsNotAWait) {
  // A 500 with Retry-After: plain backoff (at most 5 ms here), not the hour it asks for.
  TimedServer t({500, {{"Retry-After", "3600"}}, "oops"});
  http::HttpClient client(slow_retry_policy());
  const auto r = client.execute(get(t.server));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.attempts, 2u);
  EXPECT_FALSE(r.retry_after_beyond_budget.has_value());
}

TEST(HttpClient, NeverRetriesANonIdempotentRequest) {
  FakeHttpServer server([](const FakeRequest&) -> FakeResponse { return {503, {}, ""}; });
  http::HttpClient client(quick_policy(5));
  auto req = get(server);
  req.method = "POST";
  req.idempotent = false;
  EXPECT_EQ(client.execute(req).status, 503);
  EXPECT_EQ(server.requests(), 1u);
}

TEST(HttpClient, DoesNotRetryClientErrors) {
  FakeHttpServer server([](const FakeRequest&) -> FakeResponse { return {404, {}, "nope"}; });
  http::HttpClient client(quick_policy(5));
  EXPECT_EQ(client.execute(get(server)).status, 404);
  EXPECT_EQ(server.requests(), 1u);
}

TEST(HttpClient, RetriesDroppedConnectionsAndShortBodies) {
  unsigned calls = 0;
  FakeHttpServer server([&](const FakeRequest&) -> FakeResponse {
    ++calls;
    FakeResponse r{200, {}, std::string(10000, 'z')};
    if (calls == 1) r.fault = FakeResponse::Fault::CloseWithoutAnswer;
    if (calls == 2) r.fault = FakeResponse::Fault::ShortBody;
    return r;
  });
  http::HttpClient client(quick_policy(5));
  const auto r = client.execute(get(server));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), 10000u);
  EXPECT_EQ(calls, 3u);
}

TEST(HttpClient, ShortBodyBeyondTheBudgetIsUnavailable) {
  FakeHttpServer server([](const FakeRequest&) -> FakeResponse {
    return {200, {}, std::string(1000, 'z'), FakeResponse::Fault::ShortBody};
  });
  http::HttpClient client(quick_policy(2));
  expect_error([&] { client.execute(get(server)); }, ErrorKind::Unavailable, {"test://object"});
  EXPECT_EQ(server.requests(), 2u);
}

TEST(HttpClient, UnreachableEndpointIsUnavailableNamingTheTarget) {
  uint16_t closed_port;
  {
    FakeHttpServer probe([](const FakeRequest&) { return FakeResponse{}; });
    closed_port = probe.port();
  }
  http::HttpClient client(quick_policy(2));
  http::Request req;
  req.url = "http://127.0.0.1:" + std::to_string(closed_port) + "/x";
  req.target = "s3://bucket/object";
  const auto message = expect_error([&] { client.execute(req); }, ErrorKind::Unavailable, {"after 2 attempts"});
  EXPECT_EQ(message.rfind("s3://bucket/object: ", 0), 0u) << message;
}

TEST(HttpClient, ReusesOneConnectionForSequentialRequests) {
  FakeHttpServer server([](const FakeRequest&) -> FakeResponse { return {200, {}, "ok"}; });
  http::HttpClient client(quick_policy());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(client.execute(get(server)).status, 200);
  EXPECT_EQ(server.requests(), 5u);
  EXPECT_EQ(server.connections(), 1u);
}

TEST(HttpClient, SendsBodiesHeadersAndAuthorizerOnEveryAttempt) {
  std::vector<std::string> seen;
  FakeHttpServer server([&](const FakeRequest& r) -> FakeResponse {
    seen.push_back(r.method + " " + r.body + " " + r.header("x-attempt") + " " + r.header("x-fixed"));
    return {seen.size() < 2 ? 500 : 200, {}, ""};
  });
  http::HttpClient client(quick_policy());
  auto req = get(server);
  req.method = "PUT";
  req.body = "payload";
  req.headers = {{"X-Fixed", "f"}};
  int n = 0;
  const auto r =
      client.execute(req, [&](http::Request& q) { q.headers.emplace_back("X-Attempt", std::to_string(++n)); });
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(seen, (std::vector<std::string>{"PUT payload 1 f", "PUT payload 2 f"}));
}

// Records what a BodySink is given; refuses at begin() or past `refuse_after` bytes when asked.
struct RecordingSink final : http::BodySink {
  std::vector<std::optional<uint64_t>> begins;
  std::string bytes;
  size_t pieces = 0;
  bool refuse_begin = false;
  size_t refuse_after = SIZE_MAX;
  bool begin(std::optional<uint64_t> length) override {
    begins.push_back(length);
    bytes.clear();
    return !refuse_begin;
  }
  bool append(std::string_view piece) override {
    ++pieces;
    bytes.append(piece);
    return bytes.size() <= refuse_after;
  }
};

// A GET of `server` whose 200 body goes to `sink`.
http::Request get_into(const FakeHttpServer& server, RecordingSink& sink) {
  auto req = get(server);
  req.sink = &sink;
  return req;
}

TEST(HttpClient, SinkTakesA200BodyAsItArrives) {
  const std::string body(3 << 20, 'b');
  FakeHttpServer server([&](const FakeRequest&) -> FakeResponse { return {200, {}, body}; });
  http::HttpClient client(quick_policy());
  RecordingSink sink;
  const auto r = client.execute(get_into(server, sink));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");  // nothing gathered beside the sink
  EXPECT_EQ(r.body_bytes, body.size());
  EXPECT_FALSE(r.sink_refused);
  EXPECT_EQ(sink.begins, (std::vector<std::optional<uint64_t>>{body.size()}));
  EXPECT_EQ(sink.bytes, body);
  EXPECT_GT(sink.pieces, 1u);  // streamed, not handed over whole
}

TEST(HttpClient, OtherStatusesKeepTheirBodyForTheErrorMessage) {
  FakeHttpServer server([](const FakeRequest&) -> FakeResponse { return {404, {}, "<Code>NoSuchKey</Code>"}; });
  http::HttpClient client(quick_policy());
  RecordingSink sink;
  const auto r = client.execute(get_into(server, sink));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "<Code>NoSuchKey</Code>");
  EXPECT_TRUE(sink.begins.empty());
}

TEST(HttpClient, RetriedBodyStartsTheSinkOver) {
  unsigned calls = 0;
  FakeHttpServer server([&](const FakeRequest&) -> FakeResponse {
    ++calls;
    FakeResponse r{200, {}, std::string(100000, static_cast<char>('0' + calls))};
    if (calls == 1) r.fault = FakeResponse::Fault::ShortBody;  // half of it, then the connection drops
    if (calls == 2) r = {503, {}, "busy"};
    return r;
  });
  http::HttpClient client(quick_policy(5));
  RecordingSink sink;
  const auto r = client.execute(get_into(server, sink));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.attempts, 3u);
  EXPECT_EQ(sink.begins.size(), 2u);  // the short 200 and the good one; the 503 never reached it
  EXPECT_EQ(sink.bytes, std::string(100000, '3'));
}

TEST(HttpClient, SinkRefusalEndsTheAttemptWithoutARetry) {
  FakeHttpServer server([](const FakeRequest&) -> FakeResponse { return {200, {}, std::string(1 << 20, 'r')}; });
  http::HttpClient client(quick_policy(5));
  for (const bool at_begin : {true, false}) {
    RecordingSink sink;
    sink.refuse_begin = at_begin;
    sink.refuse_after = 1000;
    const auto r = client.execute(get_into(server, sink));
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.sink_refused);
    EXPECT_EQ(r.attempts, 1u);
    EXPECT_EQ(sink.begins.size(), 1u);
  }
  EXPECT_EQ(server.requests(), 2u);
}

}  // namespace
}  // namespace dm::test
