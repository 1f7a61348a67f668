#include "http/cors.h"

#include <algorithm>

#include <boost/url/parse.hpp>

#include "core/strings.h"
#include "http/responses.h"
#include "http/router.h"

namespace studybot::http {
namespace {

// Request headers a browser may send cross-origin.
constexpr std::string_view kAllowedHeaders[] = {"authorization", "content-type", "x-api-key",
                                                "x-request-id",  "accept",       "last-event-id"};
constexpr std::string_view kExposedHeaders =
    "X-Request-Id, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, ETag";
constexpr std::string_view kMaxAge = "600";

}  // namespace

Result<CorsPolicy> CorsPolicy::Create(const std::vector<std::string>& origins) {
  CorsPolicy p;
  for (const auto& o : origins) {
    if (o == "*") {
      p.any_ = true;
      continue;
    }
    auto u = boost::urls::parse_absolute_uri(o);
    if (!u || (u->scheme() != "http" && u->scheme() != "https") || u->host().empty() ||
        !(u->path().empty() || u->path() == "/") || u->has_query() || u->has_userinfo()) {
      return Error::InvalidArgument("http.cors_origins: '" + o +
                                    "' is not an origin like https://admin.example.com");
    }
    std::string norm = ToLower(o);
    if (!norm.empty() && norm.back() == '/') norm.pop_back();
    p.origins_.push_back(std::move(norm));
  }
  return p;
}

bool CorsPolicy::IsAllowed(std::string_view origin) const {
  if (origin.empty()) return false;
  if (any_) return true;
  std::string o = ToLower(std::string(origin));
  return std::find(origins_.begin(), origins_.end(), o) != origins_.end();
}

void CorsPolicy::Decorate(std::string_view origin, Response& res) const {
  if (!enabled()) return;
  res.set(bhttp::field::vary, "Origin");
  if (!IsAllowed(origin)) return;
  std::string o = ToLower(std::string(origin));
  bool exact = std::find(origins_.begin(), origins_.end(), o) != origins_.end();
  if (exact) {
    res.set(bhttp::field::access_control_allow_origin, origin);
    res.set(bhttp::field::access_control_allow_credentials, "true");
  } else {
    res.set(bhttp::field::access_control_allow_origin, "*");
  }
  res.set(bhttp::field::access_control_expose_headers, kExposedHeaders);
}

Response CorsPolicy::Preflight(const Request& req, const std::vector<Method>& allowed,
                               std::string_view request_id) const {
  auto origin = req[bhttp::field::origin];
  if (!IsAllowed(origin)) {
    auto res =
        ErrorResponse(Error::PermissionDenied("origin '" + std::string(origin) + "' is not allowed")
                          .WithSlug("cors_origin_denied"),
                      request_id);
    if (enabled()) res.set(bhttp::field::vary, "Origin");
    return res;
  }
  auto wanted = bhttp::string_to_verb(req[bhttp::field::access_control_request_method]);
  bool method_ok = std::find(allowed.begin(), allowed.end(), wanted) != allowed.end() ||
                   (wanted == Method::head &&
                    std::find(allowed.begin(), allowed.end(), Method::get) != allowed.end());
  if (!method_ok) {
    auto res = ErrorResponse(Error::PermissionDenied("method not allowed for this resource")
                                 .WithSlug("cors_method_denied"),
                             request_id);
    res.set(bhttp::field::vary, "Origin");
    return res;
  }
  // Echo the requested headers we accept; refuse the preflight if any other is asked for.
  std::string headers;
  for (auto h : Split(req[bhttp::field::access_control_request_headers], ',')) {
    auto name = ToLower(std::string(Trim(h)));
    if (name.empty()) continue;
    if (std::find(std::begin(kAllowedHeaders), std::end(kAllowedHeaders), name) ==
        std::end(kAllowedHeaders)) {
      auto res =
          ErrorResponse(Error::PermissionDenied("request header '" + name + "' is not allowed")
                            .WithSlug("cors_header_denied"),
                        request_id);
      res.set(bhttp::field::vary, "Origin");
      return res;
    }
    if (!headers.empty()) headers += ", ";
    headers += name;
  }
  Response res{Status::no_content, 11};
  Decorate(origin, res);
  res.set(bhttp::field::access_control_allow_methods, Router::AllowHeader(allowed));
  if (!headers.empty()) res.set(bhttp::field::access_control_allow_headers, headers);
  res.set(bhttp::field::access_control_max_age, kMaxAge);
  res.set(bhttp::field::vary,
          "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  return res;
}

}  // namespace studybot::http
