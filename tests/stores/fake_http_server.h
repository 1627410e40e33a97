// FakeHttpServer: a small real HTTP/1.1 server on 127.0.0.1 whose answers a test scripts.
//
// A test double for what no real server here can be made to do on demand: 5xx storms,
// connections dropped mid-answer, bodies shorter than their Content-Length, bodies trickling
// in a few bytes at a time, endless listings, token endpoints,
// a metadata server. Keep-alive is supported, so connection reuse is observable. The handler
// runs under the server's lock (one request at a time), so it may keep plain state.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace dm::test {

struct FakeRequest {
  std::string method;
  std::string path;                            // percent-encoded, as sent
  std::string query;                           // after '?', as sent
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string header(const std::string& lower_name) const;
  // Decoded value of a query parameter; "" when absent.
  std::string param(const std::string& name) const;
  bool has_param(const std::string& name) const;
};

struct FakeResponse {
  // Trickle: the body goes out `trickle_bytes` at a time, one burst every `trickle_every`.
  enum class Fault { None, CloseWithoutAnswer, ShortBody, Trickle };
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Fault fault = Fault::None;
  size_t trickle_bytes = 1;
  std::chrono::milliseconds trickle_every{250};
};

class FakeHttpServer {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;
  explicit FakeHttpServer(Handler handler);
  ~FakeHttpServer();
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  unsigned requests() const { return requests_.load(); }
  unsigned connections() const { return connections_.load(); }

 private:
  void accept_loop();
  void serve(int fd);

  Handler handler_;
  std::mutex handler_mutex_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<unsigned> requests_{0};
  std::atomic<unsigned> connections_{0};
  std::mutex threads_mutex_;
  std::vector<std::thread> threads_;
  std::vector<int> client_fds_;
  std::thread acceptor_;
};

}  // namespace dm::test
