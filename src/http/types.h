// The HTTP message types every handler sees.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "core/cancellation.h"
#include "core/log.h"

namespace studybot::http {

namespace bhttp = boost::beast::http;

using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;
using Status = bhttp::status;
using Method = bhttp::verb;

// The connection of a streamed response (server-sent events), for its StreamBody.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Sends `data` (one chunk of the body) and waits until it is written; false when the client is
  // gone (it closed the connection, or a write failed or timed out), after which nothing more is
  // sent.
  virtual boost::asio::awaitable<bool> Write(std::string data) = 0;
  // Fires (from the connection's executor) as soon as the client goes away, even while the body
  // is waiting for something else: the body cancels its upstream work with it.
  virtual std::shared_ptr<Cancellation> gone() = 0;
  // The connection's executor (a strand): the body runs on it.
  virtual boost::asio::any_io_executor executor() = 0;
};

// Writes a streamed response's body once its head is sent. When it returns, the body ends and
// the connection is closed.
using StreamBody = std::function<boost::asio::awaitable<void>(StreamWriter&)>;

// What the pipeline knows about a request by the time a handler runs.
struct RequestContext {
  const Request& request;
  std::string request_id;
  // The client's address: the peer, or from X-Forwarded-For when the peer is a trusted proxy.
  std::string client_ip;
  // True when the client reached us over TLS (directly or through a trusted proxy).
  bool secure = false;
  // The matched route pattern ("/api/chatbots/:id"), or "" when nothing matched.
  std::string_view route;
  std::string_view path;   // the target without its query string
  std::string_view query;  // after '?', "" when none
  std::vector<std::pair<std::string, std::string>> params;
  RequestLog log;
  // Headers a guard wants on the final response (RateLimit-*, CORS of widget routes), whatever
  // the handler answers. Mutable: guards see the context as const.
  mutable std::vector<std::pair<std::string, std::string>> extra_headers;
  // Set by a handler whose response streams: the response it returns is then only the head
  // (sent with chunked transfer coding, no Content-Length), and this writes the body.
  StreamBody stream;

  // A path parameter by name; "" when absent.
  std::string_view Param(std::string_view name) const {
    for (const auto& [k, v] : params) {
      if (k == name) return v;
    }
    return {};
  }
};

using Handler = std::function<boost::asio::awaitable<Response>(RequestContext&)>;

}  // namespace studybot::http
