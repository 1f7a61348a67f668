#include "http/pipeline.h"

#include <exception>
#include <typeinfo>

#include "core/ids.h"
#include "core/strings.h"
#include "http/responses.h"

namespace studybot::http {
namespace {

using Clock = std::chrono::steady_clock;

std::string_view TargetPath(std::string_view target) {
  return target.substr(0, target.find('?'));
}

std::string_view TargetQuery(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

// Widget routes are called from customers' sites, whose origins are only known per chatbot:
// the preflight lets the browser send the real request, which the handler checks.
Response WidgetPreflight(const Request& req, const std::vector<Method>& allowed) {
  Response res{Status::no_content, 11};
  res.set(bhttp::field::access_control_allow_origin, req[bhttp::field::origin]);
  res.set(bhttp::field::access_control_allow_methods, Router::AllowHeader(allowed));
  res.set(bhttp::field::access_control_allow_headers,
          "content-type, x-api-key, x-request-id, last-event-id, accept");
  res.set(bhttp::field::access_control_max_age, "600");
  res.set(bhttp::field::vary,
          "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  return res;
}

}  // namespace

bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == ':';
    if (!ok) return false;
  }
  return true;
}

void AddSecurityHeaders(Response& res, bool secure) {
  // The API serves JSON, never documents: nothing may load, frame or run.
  res.set("Content-Security-Policy",
          "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  res.set("Cross-Origin-Opener-Policy", "same-origin");
  res.set("Cross-Origin-Resource-Policy", "same-origin");
  res.set("Origin-Agent-Cluster", "?1");
  res.set("Referrer-Policy", "no-referrer");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-DNS-Prefetch-Control", "off");
  res.set("X-Download-Options", "noopen");
  res.set("X-Frame-Options", "DENY");
  res.set("X-Permitted-Cross-Domain-Policies", "none");
  res.set("X-XSS-Protection", "0");
  if (secure)
    res.set(bhttp::field::strict_transport_security, "max-age=31536000; includeSubDomains");
  res.set(bhttp::field::server, "studybot");
  if (res.find(bhttp::field::cache_control) == res.end()) {
    res.set(bhttp::field::cache_control, "no-store");
  }
}

Pipeline::Pipeline(const Router& router, PipelineOptions options, Logger& logger,
                   RequestObserver* observer)
    : router_(router), options_(std::move(options)), logger_(logger), observer_(observer) {}

boost::asio::awaitable<Response> Pipeline::Handle(const Request& req,
                                                  const boost::asio::ip::address& peer,
                                                  StreamBody* stream) {
  auto start = Clock::now();
  if (observer_ != nullptr) observer_->OnRequestStart();

  auto given_id = req["X-Request-Id"];
  std::string request_id = IsValidRequestId(given_id) ? std::string(given_id) : UniqueHexId();
  auto client = options_.proxies.Resolve(peer, req["X-Forwarded-For"], req["X-Forwarded-Proto"]);
  std::string_view target = req.target();
  RequestContext ctx{req,
                     std::move(request_id),
                     std::move(client.ip),
                     options_.tls || client.secure,
                     {},
                     TargetPath(target),
                     TargetQuery(target),
                     {},
                     RequestLog(logger_, {}),
                     {},
                     {}};
  ctx.log = RequestLog(logger_, ctx.request_id);

  Response res;
  if (ctx.path.empty() || ctx.path.front() != '/') {
    res = ErrorResponse(Error::InvalidArgument("the request target must be an absolute path")
                            .WithSlug("bad_request_target"),
                        ctx.request_id);
  } else {
    auto match = router_.Find(req.method(), ctx.path);
    ctx.route = match.pattern;
    ctx.params = std::move(match.params);
    res = co_await Dispatch(ctx, match);
  }
  // Only a successful head streams (an error answered by the handler is an ordinary response),
  // and never for HEAD.
  bool streams =
      ctx.stream && stream != nullptr && res.result_int() < 300 && req.method() != Method::head;
  if (streams) {
    res.body().clear();
    res.chunked(true);
    *stream = std::move(ctx.stream);
  }
  Finish(ctx, req.method(), res, start);
  co_return res;
}

boost::asio::awaitable<Response> Pipeline::Dispatch(RequestContext& ctx,
                                                    const Router::Match& match) {
  const Request& req = ctx.request;
  if (match.pattern.empty()) {
    co_return ErrorResponse(Error::NotFound("no route for " + std::string(ctx.path)),
                            ctx.request_id);
  }
  if (req.method() == Method::options) {
    if (!req[bhttp::field::origin].empty() &&
        !req[bhttp::field::access_control_request_method].empty()) {
      if (match.widget) co_return WidgetPreflight(req, match.allowed);
      co_return options_.cors.Preflight(req, match.allowed, ctx.request_id);
    }
    Response res{Status::no_content, 11};
    res.set(bhttp::field::allow, Router::AllowHeader(match.allowed));
    co_return res;
  }
  if (match.handler == nullptr) {
    auto res = ErrorResponse(Error::InvalidArgument("method " + std::string(req.method_string()) +
                                                    " is not allowed here")
                                 .WithSlug("method_not_allowed"),
                             ctx.request_id);
    res.result(Status::method_not_allowed);
    res.set(bhttp::field::allow, Router::AllowHeader(match.allowed));
    co_return res;
  }
  std::exception_ptr failure;
  try {
    co_return co_await (*match.handler)(ctx);
  } catch (...) {
    failure = std::current_exception();
  }
  // The handler threw: a bug, not the client's fault. Log what we know and answer 500.
  std::string what = "unknown exception";
  std::string type = "unknown";
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    what = e.what();
    type = typeid(e).name();
  } catch (...) {
  }
  ctx.log.Error("handler threw", {{"route", ctx.route},
                                  {"method", std::string_view(req.method_string())},
                                  {"exception", type},
                                  {"what", what}});
  co_return ErrorResponse(Error::Internal(what), ctx.request_id);
}

void Pipeline::Finish(const RequestContext& ctx, Method method, Response& res,
                      std::chrono::steady_clock::time_point start) {
  std::size_t bytes = res.body().size();
  if (method == Method::head) {
    res.content_length(res.body().size());
    res.body().clear();
    bytes = 0;
  } else if (!res.chunked()) {
    res.prepare_payload();
  }
  if (res.version() == 0) res.version(11);
  for (const auto& [name, value] : ctx.extra_headers)
    res.set(name, value);
  if (res.find(bhttp::field::access_control_allow_origin) == res.end()) {
    options_.cors.Decorate(ctx.request[bhttp::field::origin], res);
  }
  AddSecurityHeaders(res, ctx.secure);
  res.set("X-Request-Id", ctx.request_id);

  auto elapsed = Clock::now() - start;
  std::string_view route = ctx.route.empty() ? std::string_view("unmatched") : ctx.route;
  if (observer_ != nullptr) {
    observer_->OnRequestEnd(method, route, res.result_int(), elapsed, bytes);
  }
  if (logger_.Enabled(LogLevel::kInfo)) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
    logger_.Log(LogLevel::kInfo, "request",
                {{"method", std::string_view(ctx.request.method_string())},
                 {"route", route},
                 {"path", ctx.path},
                 {"status", res.result_int()},
                 {"bytes", bytes},
                 {"duration_us", static_cast<int64_t>(us)},
                 {"ip", ctx.client_ip},
                 {"user_agent", ctx.request[bhttp::field::user_agent]}},
                ctx.request_id);
  }
}

bool Pipeline::IsUpload(const bhttp::request_header<>& head) const {
  if (head.method() != bhttp::verb::post) return false;
  std::string_view type = head[bhttp::field::content_type];
  constexpr std::string_view kMultipart = "multipart/form-data";
  if (type.size() < kMultipart.size() ||
      !EqualsIgnoreCase(type.substr(0, kMultipart.size()), kMultipart)) {
    return false;
  }
  auto path = TargetPath(head.target());
  if (path.empty() || path.front() != '/') return false;
  return router_.Find(Method::post, path).upload;
}

Response Pipeline::Reject(Status status, const Error& error, const boost::asio::ip::address& peer) {
  Request empty;
  auto client = options_.proxies.Resolve(peer, {}, {});
  RequestContext ctx{
      empty, UniqueHexId(), client.ip, options_.tls, {}, {}, {}, {}, RequestLog(logger_, {}), {},
      {}};
  ctx.log = RequestLog(logger_, ctx.request_id);
  if (observer_ != nullptr) observer_->OnRequestStart();
  auto res = ErrorResponse(error, ctx.request_id);
  res.result(status);
  res.keep_alive(false);
  Finish(ctx, Method::unknown, res, Clock::now());
  return res;
}

}  // namespace studybot::http
