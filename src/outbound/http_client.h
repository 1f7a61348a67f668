// HttpClient: one blocking HTTP exchange, for fetching pages and calling third-party APIs from the
// worker pool. CurlHttpClient implements it with libcurl.
//
// Outbound requests are often made on behalf of users (a chatbot's source URLs), so the client is
// an SSRF boundary: it speaks only http and https, ignores proxy settings from the environment, and
// checks every address it is about to connect to against an AddressPolicy right before the socket
// is created. Because the check sees the resolved numeric address of each connection, including
// each redirect hop, neither DNS rebinding nor a redirect can reach the private network.
//
// Thread-safe: Send may be called from many threads at once. Each call uses its own curl handle and
// shares nothing with other calls (no connection reuse across calls).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "outbound/address_policy.h"

namespace studybot::outbound {

struct HttpRequest {
  // An HTTP token such as GET, HEAD, POST, PUT, PATCH or DELETE. A method other than GET, HEAD and
  // POST is kept when a redirect is followed.
  std::string method = "GET";
  // An absolute http:// or https:// URL.
  std::string url;
  // Extra request headers, sent in this order. Names are HTTP tokens; values must not contain CR,
  // LF or NUL. No Content-Type is sent unless given here. A custom Authorization or Cookie header
  // is not sent on to another host after a redirect.
  std::vector<std::pair<std::string, std::string>> headers;
  // Sent for methods other than GET and HEAD, which must have an empty body.
  std::string body;
  // For the whole exchange, redirects included. Must be positive.
  std::chrono::milliseconds timeout{15000};
  // Limit on the response body after content decoding, so a small gzip bomb cannot exhaust memory.
  std::size_t max_body_bytes = 5 * 1024 * 1024;
  // Redirects followed before failing. 0 returns a 3xx response to the caller as it is. Must not
  // be negative.
  int max_redirects = 5;
};

struct HttpResponse {
  long status = 0;
  // Headers of the final response (not of redirects or interim responses) in arrival order, names
  // lower-cased, values trimmed.
  std::vector<std::pair<std::string, std::string>> headers;
  // Decoded body (gzip and deflate are undone).
  std::string body;
  // The URL the body came from, after redirects.
  std::string final_url;
  // Media type from Content-Type, lower-cased, parameters stripped ("text/html"); "" when absent.
  std::string content_type;

  // The value of the first header called `name` (any case), if there is one.
  std::optional<std::string> Header(std::string_view name) const;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;

  // Performs the request, following redirects. An HTTP error status (4xx, 5xx) is a response, not
  // an Error. Errors:
  //   kInvalidArgument   the URL is not an absolute http(s) URL, or the method, a header, the
  //                      timeout or max_redirects is unusable; nothing is sent
  //   kPermissionDenied  the host (or a redirect target) has only addresses the AddressPolicy
  //                      refuses, or a redirect leads to a scheme other than http and https
  //   kPayloadTooLarge   the decoded body is larger than max_body_bytes, or the response headers
  //                      are unreasonably large
  //   kUnavailable       name resolution, connection, TLS or protocol failure, timeout ("timed
  //                      out"), too many redirects
  //   kInternal          libcurl could not be set up
  // Messages name the target as scheme://host only: never credentials, paths or query strings.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

struct HttpClientOptions {
  // Which peer addresses connections may reach.
  AddressPolicy addresses;
  // Sent unless the request has its own User-Agent header.
  std::string user_agent = "Studybot/0.1 (+https://github.com/studybot)";
};

// libcurl's easy interface. curl_global_init runs once, on first construction (libcurl >= 7.84
// makes it thread-safe; a function-local static makes it run once anyway).
class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(HttpClientOptions options);
  Result<HttpResponse> Send(const HttpRequest& request) override;

 private:
  HttpClientOptions options_;
  bool curl_ready_ = false;  // curl_global_init succeeded
};

}  // namespace studybot::outbound
