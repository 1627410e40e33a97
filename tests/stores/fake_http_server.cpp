#include "stores/fake_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include "common/http/encoding.h"

namespace dm::test {

namespace {

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 412:
      return "Precondition Failed";
    case 416:
      return "Range Not Satisfiable";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::string FakeRequest::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

bool FakeRequest::has_param(const std::string& name) const {
  size_t start = 0;
  while (start <= query.size()) {
    auto end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const auto part = query.substr(start, end - start);
    if (part.substr(0, part.find('=')) == name) return true;
    start = end + 1;
  }
  return false;
}

std::string FakeRequest::param(const std::string& name) const {
  size_t start = 0;
  while (start <= query.size()) {
    auto end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const auto part = query.substr(start, end - start);
    const auto eq = part.find('=');
    if (part.substr(0, eq) == name) return eq == std::string::npos ? "" : http::percent_decode(part.substr(eq + 1));
    start = end + 1;
  }
  return {};
}

FakeHttpServer::FakeHttpServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    throw std::runtime_error("FakeHttpServer: cannot listen on 127.0.0.1");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FakeHttpServer::~FakeHttpServer() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(threads_mutex_);
    for (int fd : client_fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
}

void FakeHttpServer::accept_loop() {
  while (!stopping_) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_) return;
      continue;
    }
    ++connections_;
    std::lock_guard lock(threads_mutex_);
    client_fds_.push_back(fd);
    threads_.emplace_back([this, fd] { serve(fd); });
  }
}

void FakeHttpServer::serve(int fd) {
  std::string buf;
  char chunk[65536];
  bool open = true;
  while (open && !stopping_) {
    size_t header_end;
    while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) {
        open = false;
        break;
      }
      buf.append(chunk, static_cast<size_t>(n));
    }
    if (!open) break;
    FakeRequest req;
    const std::string head = buf.substr(0, header_end);
    buf.erase(0, header_end + 4);
    size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    const auto sp1 = request_line.find(' ');
    const auto sp2 = request_line.rfind(' ');
    req.method = request_line.substr(0, sp1);
    const std::string target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    req.path = target.substr(0, target.find('?'));
    if (target.find('?') != std::string::npos) req.query = target.substr(target.find('?') + 1);
    while (line_end != std::string::npos && line_end < head.size()) {
      const auto next = head.find("\r\n", line_end + 2);
      const auto line = head.substr(line_end + 2, (next == std::string::npos ? head.size() : next) - line_end - 2);
      const auto colon = line.find(':');
      if (colon != std::string::npos) {
        auto value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        req.headers[lower(line.substr(0, colon))] = value;
      }
      line_end = next;
    }
    const size_t body_len = req.headers.count("content-length") ? std::stoull(req.headers["content-length"]) : 0;
    while (buf.size() < body_len) {
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) {
        open = false;
        break;
      }
      buf.append(chunk, static_cast<size_t>(n));
    }
    if (!open) break;
    req.body = buf.substr(0, body_len);
    buf.erase(0, body_len);
    ++requests_;
    FakeResponse resp;
    {
      std::lock_guard lock(handler_mutex_);
      resp = handler_(req);
    }
    if (resp.fault == FakeResponse::Fault::CloseWithoutAnswer) break;
    std::string out = "HTTP/1.1 " + std::to_string(resp.status) + " " + reason(resp.status) + "\r\n";
    for (const auto& [k, v] : resp.headers) out += k + ": " + v + "\r\n";
    out += "Content-Length: " + std::to_string(resp.body.size()) + "\r\n\r\n";
    if (resp.fault == FakeResponse::Fault::Trickle && req.method != "HEAD") {
      if (!send_all(fd, out)) break;
      bool sent = true;
      for (size_t at = 0; sent && at < resp.body.size() && !stopping_; at += resp.trickle_bytes) {
        std::this_thread::sleep_for(resp.trickle_every);  // the fault itself: a slow server
        sent = send_all(fd, resp.body.substr(at, resp.trickle_bytes));
      }
      if (!sent || stopping_) break;
      continue;
    }
    if (req.method != "HEAD") {
      out += resp.fault == FakeResponse::Fault::ShortBody ? resp.body.substr(0, resp.body.size() / 2) : resp.body;
    }
    if (!send_all(fd, out) || resp.fault == FakeResponse::Fault::ShortBody) break;
  }
  ::shutdown(fd, SHUT_RDWR);
  std::lock_guard lock(threads_mutex_);
  // The fd is closed here, once; the destructor only shuts down fds still listed.
  client_fds_.erase(std::remove(client_fds_.begin(), client_fds_.end(), fd), client_fds_.end());
  ::close(fd);
}

}  // namespace dm::test
