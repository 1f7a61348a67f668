// Internal to outbound/: the libcurl plumbing that CurlHttpClient (easy interface, blocking) and
// CurlStreamClient (multi interface, streaming) share, so that both enforce one SSRF boundary
// (http_client.h) with one copy of the code: request validation, the open-socket address check,
// the option set, response-head parsing and the mapping of curl's failures to Errors.
//
// Functions taking a CurlExchange are called on the thread driving that exchange's easy handle;
// the rest are pure and safe from any thread.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "outbound/address_policy.h"
#include "outbound/http_client.h"

namespace studybot::outbound::curl {

// Bound on all header lines of one exchange. libcurl 7.88 limits each line but not their number.
inline constexpr std::size_t kMaxHeaderBytes = 256 * 1024;

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;

// curl_global_init, run once per process (libcurl >= 7.84 makes it thread-safe; a function-local
// static makes it run once anyway). False when it failed.
bool InitCurlOnce();

// What error messages may say about a URL: its scheme and host, never user info, path or query.
std::string Origin(const char* url);

// The checks HttpClient::Send makes before sending anything: an absolute http(s) URL, a token
// method, no body on GET/HEAD, token header names, header values without CR/LF/NUL, a positive
// timeout and non-negative max_redirects. Errors: kInvalidArgument.
Status Validate(const HttpRequest& request);

// Media type from a Content-Type value, lower-cased, parameters stripped; "" when absent.
std::string MediaType(const std::optional<std::string>& content_type);

// State of one exchange shared with curl's callbacks. The pointers are borrowed and must outlive
// the easy handle's use.
struct CurlExchange {
  const AddressPolicy* policy = nullptr;
  const HttpRequest* request = nullptr;
  // Receives the status, headers and (CompleteHead) final_url and content_type of each response
  // head in turn; the last one parsed is the final response's.
  HttpResponse* response = nullptr;
  std::size_t header_bytes = 0;
  // Set when the policy refused a socket, so that a failure to connect can be told apart from an
  // ordinary network error. A refusal followed by a successful connection to another address of
  // the same host is not an error.
  bool address_refused = false;
  bool body_too_large = false;
  bool headers_too_large = false;
};

// How the two clients' option sets differ.
struct EasySetup {
  const std::string* user_agent = nullptr;  // sent unless the request has its own User-Agent
  // When false, no Accept-Encoding header is sent unless the request has one (a stream must not
  // be held back by a compressor's buffering); a compressed body is still decoded.
  bool advertise_encodings = true;
  curl_write_callback on_body = nullptr;    // CURLOPT_WRITEFUNCTION
  curl_write_callback on_header = nullptr;  // CURLOPT_HEADERFUNCTION
  void* callback_data = nullptr;            // WRITEDATA and HEADERDATA
};

// Sets every option the SSRF boundary relies on (protocols http/https also for redirects, no
// proxy, the open-socket address check on `exchange`, no signals), the request itself (URL,
// method, headers, body, timeout, redirects) and the callbacks. `headers` receives the header
// list, which must outlive the transfer, as must *exchange.request (its body is not copied).
// REQUIRES: Validate(*exchange.request) succeeded. Errors: kInternal (a refused option, no
// memory).
Status ConfigureEasy(CURL* curl, CurlExchange& exchange, const EasySetup& setup,
                     HeaderList& headers);

enum class HeaderLine {
  kStatusLine,  // a response head begins (after a redirect, a 1xx, or the first); fields cleared
  kField,       // a field (or a folded continuation) was added to exchange.response->headers
  kEndOfHead,   // the blank line that ends a head
  kOther,       // a line without a colon, ignored
  kTooLarge,    // over kMaxHeaderBytes: headers_too_large is set, the callback must fail
};

// Parses one line given to CURLOPT_HEADERFUNCTION into *exchange.response: status from the status
// line, field names lower-cased, values trimmed, obsolete folding joined.
HeaderLine ParseHeaderLine(CurlExchange& exchange, std::string_view line);

// True when the head just ended (status in exchange.response) is the one of the final response:
// neither interim (1xx) nor a redirect that curl will follow.
bool IsFinalHead(const CurlExchange& exchange);

// Fills final_url and content_type of *exchange.response from `curl` and the parsed headers.
void CompleteHead(CURL* curl, CurlExchange& exchange);

// The Error for a failed transfer (CURLcode other than CURLE_OK), as HttpClient::Send documents.
Error ToError(CURLcode rc, const CurlExchange& exchange, CURL* curl);

}  // namespace studybot::outbound::curl
