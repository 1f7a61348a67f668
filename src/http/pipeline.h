// Pipeline: everything that happens to a parsed request between the socket and the handler, in
// this order:
//   1. request id: a well-formed X-Request-Id is kept, otherwise one is generated; echoed back
//   2. client address: from the peer, or X-Forwarded-For/-Proto when the peer is a trusted proxy
//   3. routing: 404 (no path), 405 with Allow (wrong method); OPTIONS answers preflights and Allow
//   4. the handler; an exception becomes a logged 500 carrying the request id
//   5. HEAD responses lose their body (not their Content-Length)
//   6. CORS headers, security headers (Helmet's defaults), Server, Cache-Control
//   7. one JSON access-log line and the metrics observer
//
// Thread-safe: one Pipeline serves every connection.
#pragma once

#include <boost/asio/ip/address.hpp>

#include "core/log.h"
#include "http/client_ip.h"
#include "http/cors.h"
#include "http/observer.h"
#include "http/router.h"

namespace studybot::http {

struct PipelineOptions {
  CorsPolicy cors;
  TrustedProxies proxies;
  // Served over TLS by this process itself (not yet: TLS is terminated by a proxy).
  bool tls = false;
};

class Pipeline {
 public:
  // `router`, `logger` and `observer` must outlive the pipeline; `observer` may be null.
  Pipeline(const Router& router, PipelineOptions options, Logger& logger,
           RequestObserver* observer);

  // A streamed response (a handler set RequestContext::stream) comes back as its head, and its
  // body in `*stream` (left empty otherwise; the body is dropped when `stream` is null). Its
  // access-log line is written when the head is ready.
  boost::asio::awaitable<Response> Handle(const Request& req, const boost::asio::ip::address& peer,
                                          StreamBody* stream = nullptr);

  // For errors found before a request could be parsed (431, 413, 408, 400): builds the error
  // response with all the usual headers and writes the access-log line.
  Response Reject(Status status, const Error& error, const boost::asio::ip::address& peer);

  // Whether a request with this head is an upload (a multipart/form-data POST to an upload
  // route), whose body may be as large as http.upload_limit.
  bool IsUpload(const bhttp::request_header<>& head) const;

 private:
  boost::asio::awaitable<Response> Dispatch(RequestContext& ctx, const Router::Match& match);
  void Finish(const RequestContext& ctx, Method method, Response& res,
              std::chrono::steady_clock::time_point start);

  const Router& router_;
  PipelineOptions options_;
  Logger& logger_;
  RequestObserver* observer_;
};

// Security headers after Helmet's defaults, tuned for a JSON API. HSTS only when `secure`.
void AddSecurityHeaders(Response& res, bool secure);

// A request id we accept from clients: 1..128 of [A-Za-z0-9._:-].
bool IsValidRequestId(std::string_view id);

}  // namespace studybot::http
