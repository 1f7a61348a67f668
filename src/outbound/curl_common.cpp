#include "outbound/curl_common.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <utility>

#include "core/strings.h"

namespace studybot::outbound::curl {
namespace {

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct CurlStringDeleter {
  void operator()(char* s) const { curl_free(s); }
};
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

struct UrlParts {
  std::string scheme;  // lower-case
  std::string host;    // IPv6 literals keep their brackets
};

// Parses with libcurl's own parser so that what is checked here is what curl will fetch.
std::optional<UrlParts> ParseUrl(const char* url) {
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (u == nullptr || curl_url_set(u.get(), CURLUPART_URL, url, 0) != CURLUE_OK) {
    return std::nullopt;
  }
  char* scheme = nullptr;
  char* host = nullptr;
  if (curl_url_get(u.get(), CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) return std::nullopt;
  CurlString scheme_owner(scheme);
  if (curl_url_get(u.get(), CURLUPART_HOST, &host, 0) != CURLUE_OK) {
    return UrlParts{ToLower(scheme), ""};
  }
  CurlString host_owner(host);
  return UrlParts{ToLower(scheme), host};
}

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c == '\0' || !IsTokenChar(c)) return false;
  }
  return true;
}

bool HasHeader(const HttpRequest& request, std::string_view name) {
  for (const auto& [n, v] : request.headers) {
    if (EqualsIgnoreCase(n, name)) return true;
  }
  return false;
}

std::optional<boost::asio::ip::address> PeerAddress(const curl_sockaddr& sa) {
  // curl stores a full sockaddr_in/sockaddr_in6 (addrlen bytes) where the struct declares a plain
  // sockaddr; copy it out rather than cast.
  const auto* raw = reinterpret_cast<const unsigned char*>(&sa.addr);
  if (sa.family == AF_INET && sa.addrlen >= sizeof(sockaddr_in)) {
    sockaddr_in in{};
    std::memcpy(&in, raw, sizeof in);
    return boost::asio::ip::address_v4(ntohl(in.sin_addr.s_addr));
  }
  if (sa.family == AF_INET6 && sa.addrlen >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, raw, sizeof in6);
    boost::asio::ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), &in6.sin6_addr, bytes.size());
    return boost::asio::ip::address_v6(bytes, in6.sin6_scope_id);
  }
  return std::nullopt;
}

// CURLOPT_OPENSOCKETFUNCTION: the one place every connection passes through, after name
// resolution and before connect(), for the first request and every redirect alike.
curl_socket_t OpenSocket(void* clientp, curlsocktype purpose, curl_sockaddr* address) {
  auto* exchange = static_cast<CurlExchange*>(clientp);
  std::optional<boost::asio::ip::address> peer = PeerAddress(*address);
  if (purpose != CURLSOCKTYPE_IPCXN || !peer || !exchange->policy->Allows(*peer)) {
    exchange->address_refused = true;
    return CURL_SOCKET_BAD;
  }
  // Close-on-exec so that a child process started by another thread does not inherit it.
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

// "HTTP/1.1 200 OK" and "HTTP/2 200" alike: the three digits after the first space.
long ParseStatus(std::string_view line) {
  auto space = line.find(' ');
  if (space == std::string_view::npos || line.size() < space + 4) return 0;
  long status = 0;
  for (char c : line.substr(space + 1, 3)) {
    if (c < '0' || c > '9') return 0;
    status = status * 10 + (c - '0');
  }
  return status;
}

}  // namespace

bool InitCurlOnce() {
  static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ok;
}

std::string Origin(const char* url) {
  std::optional<UrlParts> parts = url != nullptr ? ParseUrl(url) : std::nullopt;
  if (!parts || parts->host.empty()) return "the URL";
  return parts->scheme + "://" + parts->host;
}

Status Validate(const HttpRequest& request) {
  if (!IsToken(request.method)) return Error::InvalidArgument("the HTTP method is not a token");
  if ((request.method == "GET" || request.method == "HEAD") && !request.body.empty()) {
    return Error::InvalidArgument(request.method + " requests cannot carry a body");
  }
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name)) return Error::InvalidArgument("a request header name is not a token");
    // CR or LF would let a value start another header or request; curl would cut at NUL.
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return Error::InvalidArgument("request header " + name + " contains a line break");
    }
  }
  if (request.timeout.count() <= 0) return Error::InvalidArgument("the timeout must be positive");
  if (request.max_redirects < 0)
    return Error::InvalidArgument("max_redirects must not be negative");
  // Refused here, before curl sees it, so that no other scheme is ever fetched even if the
  // protocol options were ignored.
  std::optional<UrlParts> url = ParseUrl(request.url.c_str());
  if (!url || url->host.empty()) {
    return Error::InvalidArgument("not an absolute http or https URL");
  }
  if (url->scheme != "http" && url->scheme != "https") {
    return Error::InvalidArgument("only http and https URLs can be fetched");
  }
  return OkStatus();
}

std::string MediaType(const std::optional<std::string>& content_type) {
  if (!content_type) return {};
  std::string_view v = *content_type;
  return ToLower(std::string(Trim(v.substr(0, v.find(';')))));
}

Status ConfigureEasy(CURL* curl, CurlExchange& exchange, const EasySetup& setup,
                     HeaderList& headers) {
  const HttpRequest& request = *exchange.request;
  bool header_alloc_failed = false;
  auto add_header = [&](const std::string& line) {
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (next == nullptr) {
      header_alloc_failed = true;
      return;
    }
    headers.release();
    headers.reset(next);
  };
  for (const auto& [name, value] : request.headers) {
    // "Name;" is curl's spelling of a header with an empty value ("Name:" would remove it).
    add_header(value.empty() ? name + ";" : name + ": " + value);
  }
  bool has_body = request.method != "GET" && request.method != "HEAD";
  if (has_body) {
    // Without these curl would claim application/x-www-form-urlencoded, and wait up to a second
    // for "100 Continue" before sending a larger body.
    if (!HasHeader(request, "Content-Type")) add_header("Content-Type:");
    if (!HasHeader(request, "Expect")) add_header("Expect:");
  }
  // CURLOPT_ACCEPT_ENCODING below turns decoding on and would also advertise every encoding;
  // "Accept-Encoding:" removes that header while decoding stays on.
  if (!setup.advertise_encodings && !HasHeader(request, "Accept-Encoding")) {
    add_header("Accept-Encoding:");
  }
  if (header_alloc_failed) return Error::Internal("out of memory building request headers");

  // The first failing option is kept: every one of these is needed for the promises in the header,
  // so a libcurl that refuses one must not be used.
  CURLcode set = CURLE_OK;
  auto keep = [&set](CURLcode rc) {
    if (set == CURLE_OK) set = rc;
  };
  keep(curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str()));
  keep(curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https"));
  keep(curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
  // A proxy taken from http_proxy/https_proxy would be the address checked, not the target.
  keep(curl_easy_setopt(curl, CURLOPT_PROXY, ""));
  keep(curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, OpenSocket));
  keep(curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &exchange));
  keep(curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, setup.on_body));
  keep(curl_easy_setopt(curl, CURLOPT_WRITEDATA, setup.callback_data));
  keep(curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, setup.on_header));
  keep(curl_easy_setopt(curl, CURLOPT_HEADERDATA, setup.callback_data));
  // Signals are process-wide: curl must not use SIGALRM to time out name lookups on a worker.
  keep(curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L));
  keep(curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count())));
  keep(curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, ""));
  keep(curl_easy_setopt(curl, CURLOPT_USERAGENT, setup.user_agent->c_str()));
  // CURLOPT_UNRESTRICTED_AUTH stays off: curl then drops custom Authorization and Cookie headers
  // when a redirect leads to another host.
  if (request.max_redirects > 0) {
    keep(curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L));
    keep(curl_easy_setopt(curl, CURLOPT_MAXREDIRS, static_cast<long>(request.max_redirects)));
  }
  if (request.method == "HEAD") {
    keep(curl_easy_setopt(curl, CURLOPT_NOBODY, 1L));
  } else if (has_body) {
    keep(curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                          static_cast<curl_off_t>(request.body.size())));
    keep(curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data()));
    // POST goes through curl's own logic so that a 301/302/303 turns it into a GET as browsers do.
    if (request.method != "POST") {
      keep(curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str()));
    }
  }
  if (headers != nullptr) keep(curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get()));
  if (set != CURLE_OK) {
    return Error::Internal(std::string("libcurl refused an option: ") + curl_easy_strerror(set));
  }
  return OkStatus();
}

HeaderLine ParseHeaderLine(CurlExchange& exchange, std::string_view line) {
  exchange.header_bytes += line.size();
  if (exchange.header_bytes > kMaxHeaderBytes) {
    exchange.headers_too_large = true;
    return HeaderLine::kTooLarge;
  }
  HttpResponse& response = *exchange.response;
  if (StartsWith(line, "HTTP/")) {
    // A status line starts another response (after a redirect, a 1xx or an authentication
    // retry); only the final one is reported.
    response.headers.clear();
    response.status = ParseStatus(line);
    return HeaderLine::kStatusLine;
  }
  bool continuation = !line.empty() && (line.front() == ' ' || line.front() == '\t');
  line = Trim(line);
  if (line.empty()) return HeaderLine::kEndOfHead;
  if (continuation) {
    // Obsolete line folding: the line continues the previous header's value.
    if (!response.headers.empty()) {
      response.headers.back().second.append(" ").append(line);
    }
    return HeaderLine::kField;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return HeaderLine::kOther;
  response.headers.emplace_back(ToLower(std::string(Trim(line.substr(0, colon)))),
                                std::string(Trim(line.substr(colon + 1))));
  return HeaderLine::kField;
}

bool IsFinalHead(const CurlExchange& exchange) {
  long status = exchange.response->status;
  if (status >= 100 && status < 200) return false;
  // curl follows a 3xx that has a non-empty Location when following is on; the body of such a
  // response is skipped. (A hop it cannot follow fails the exchange instead.)
  if (status >= 300 && status < 400 && exchange.request->max_redirects > 0) {
    std::optional<std::string> location = exchange.response->Header("location");
    if (location && !location->empty()) return false;
  }
  return true;
}

void CompleteHead(CURL* curl, CurlExchange& exchange) {
  HttpResponse& response = *exchange.response;
  char* effective = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK &&
      effective != nullptr) {
    response.final_url = effective;
  }
  response.content_type = MediaType(response.Header("content-type"));
}

Error ToError(CURLcode rc, const CurlExchange& exchange, CURL* curl) {
  const HttpRequest& request = *exchange.request;
  // After a redirect the effective URL is the hop that failed.
  char* effective = nullptr;
  curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective);
  std::string target = Origin(effective != nullptr ? effective : request.url.c_str());
  long redirects = 0;
  curl_easy_getinfo(curl, CURLINFO_REDIRECT_COUNT, &redirects);

  if (exchange.body_too_large) {
    return Error::PayloadTooLarge(target + " sent a body larger than " +
                                  std::to_string(request.max_body_bytes) + " bytes");
  }
  if (exchange.headers_too_large) {
    return Error::PayloadTooLarge(target + " sent more than " + std::to_string(kMaxHeaderBytes) +
                                  " bytes of headers");
  }
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
      if (exchange.address_refused) {
        return Error::PermissionDenied(target + " refers to a private or loopback address");
      }
      return Error::Unavailable("could not connect to " + target);
    case CURLE_OPERATION_TIMEDOUT:
      return Error::Unavailable(target + " timed out after " +
                                std::to_string(request.timeout.count()) + " ms");
    case CURLE_COULDNT_RESOLVE_HOST:
      return Error::Unavailable("could not resolve the host of " + target);
    case CURLE_UNSUPPORTED_PROTOCOL:
      // The first URL was checked before sending, so a redirect led elsewhere (file:, ftp:). The
      // effective URL is then that refused target, so the message names where the request began.
      return Error::PermissionDenied(Origin(request.url.c_str()) +
                                     " redirected to a scheme other than http and https");
    case CURLE_URL_MALFORMAT:
      if (redirects == 0) return Error::InvalidArgument("not a valid URL");
      return Error::Unavailable(Origin(request.url.c_str()) + " redirected to a malformed URL");
    case CURLE_TOO_MANY_REDIRECTS:
      return Error::Unavailable(Origin(request.url.c_str()) + " redirected more than " +
                                std::to_string(request.max_redirects) + " times");
    case CURLE_OUT_OF_MEMORY:
      return Error::Internal("libcurl ran out of memory");
    default:
      // curl_easy_strerror returns fixed text, never the URL; the error buffer could hold it.
      return Error::Unavailable(target + ": " + curl_easy_strerror(rc));
  }
}

}  // namespace studybot::outbound::curl
