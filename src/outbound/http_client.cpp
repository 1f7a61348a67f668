#include "outbound/http_client.h"

#include <utility>

#include "core/strings.h"
#include "outbound/curl_common.h"

namespace studybot::outbound {
namespace {

// CURLOPT_WRITEFUNCTION. Returning less than was given makes curl stop with CURLE_WRITE_ERROR.
size_t OnBody(char* data, size_t size, size_t count, void* userp) {
  auto* exchange = static_cast<curl::CurlExchange*>(userp);
  std::size_t n = size * count;
  std::string& body = exchange->response->body;
  if (n > exchange->request->max_body_bytes - body.size()) {
    exchange->body_too_large = true;
    return 0;
  }
  body.append(data, n);
  return n;
}

// CURLOPT_HEADERFUNCTION: called once per header line, status lines included.
size_t OnHeader(char* data, size_t size, size_t count, void* userp) {
  auto* exchange = static_cast<curl::CurlExchange*>(userp);
  std::size_t n = size * count;
  switch (curl::ParseHeaderLine(*exchange, std::string_view(data, n))) {
    case curl::HeaderLine::kTooLarge:
      return 0;
    case curl::HeaderLine::kStatusLine:
      // Whatever body came before belonged to an earlier response.
      exchange->response->body.clear();
      return n;
    default:
      return n;
  }
}

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return v;
  }
  return std::nullopt;
}

CurlHttpClient::CurlHttpClient(HttpClientOptions options)
    : options_(std::move(options)), curl_ready_(curl::InitCurlOnce()) {}

Result<HttpResponse> CurlHttpClient::Send(const HttpRequest& request) {
  if (Status valid = curl::Validate(request); !valid.ok()) return std::move(valid).error();
  if (!curl_ready_) return Error::Internal("curl_global_init failed");

  curl::EasyHandle handle(curl_easy_init());
  if (handle == nullptr) return Error::Internal("curl_easy_init failed");
  CURL* curl = handle.get();

  HttpResponse response;
  curl::CurlExchange exchange;
  exchange.policy = &options_.addresses;
  exchange.request = &request;
  exchange.response = &response;

  curl::EasySetup setup;
  setup.user_agent = &options_.user_agent;
  setup.advertise_encodings = true;
  setup.on_body = OnBody;
  setup.on_header = OnHeader;
  setup.callback_data = &exchange;
  curl::HeaderList headers;
  if (Status ready = curl::ConfigureEasy(curl, exchange, setup, headers); !ready.ok()) {
    return std::move(ready).error();
  }

  CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) return curl::ToError(rc, exchange, curl);

  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl::CompleteHead(curl, exchange);
  return response;
}

}  // namespace studybot::outbound
