#include "loopback_http_server.h"

#include <chrono>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "core/strings.h"

namespace studybot::testing {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

}  // namespace

std::string ReceivedRequest::Header(const std::string& lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return "";
}

LoopbackHttpServer::LoopbackHttpServer(Handler handler)
    : handler_(std::move(handler)), listener_([this](asio::ip::tcp::socket& s) { Session(s); }) {}

LoopbackHttpServer::~LoopbackHttpServer() = default;

std::vector<ReceivedRequest> LoopbackHttpServer::Received() {
  std::lock_guard lock(mu_);
  return received_;
}

std::vector<ReceivedRequest> LoopbackHttpServer::WaitFor(std::size_t n) {
  std::vector<ReceivedRequest> got;
  WaitUntil([&] {
    got = Received();
    return got.size() >= n;
  });
  return got;
}

void LoopbackHttpServer::Session(asio::ip::tcp::socket& s) {
  boost::beast::flat_buffer buf;
  for (;;) {
    bhttp::request<bhttp::string_body> req;
    boost::system::error_code ec;
    bhttp::read(s, buf, req, ec);
    if (ec) return;
    ReceivedRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    for (const auto& f : req)
      r.headers.emplace_back(ToLower(std::string(f.name_string())), std::string(f.value()));
    r.body = req.body();
    {
      std::lock_guard lock(mu_);
      received_.push_back(r);
    }
    Reply reply = handler_(r);
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(reply.status),
                                            req.version()};
    for (const auto& [k, v] : reply.headers)
      res.set(k, v);
    if (res[bhttp::field::content_type].empty()) res.set(bhttp::field::content_type, "text/plain");
    res.body() = std::move(reply.body);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    bhttp::write(s, res, ec);
    if (ec || !req.keep_alive()) return;
  }
}

}  // namespace studybot::testing
