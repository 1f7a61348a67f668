// StreamClient: HTTP exchanges whose response body is handed over as it arrives (a chat model's
// server-sent events), many at once without a thread each. CurlStreamClient implements it with
// one libcurl multi handle driven by one background thread: thousands of slow streams cost a
// socket and a little memory each, and a cancelled exchange is aborted (its connection closed) at
// once.
//
// The same SSRF boundary as HttpClient (http_client.h): http and https only, no proxy from the
// environment, every connection's numeric peer address checked against the AddressPolicy.
//
// Thread-safety: Start may be called from any thread. A StreamHandler's methods are called on the
// client's thread, one at a time and in order (OnHead once, OnData any number of times, OnDone
// exactly once; OnHead and OnData are skipped when the exchange fails before them), so they must
// not block: hand the bytes on (to a channel, an executor) and return.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>

#include "core/cancellation.h"
#include "core/result.h"
#include "outbound/http_client.h"

namespace studybot::outbound {

struct StreamRequest {
  // Method, URL, headers, body and max_redirects as for HttpClient. `timeout` bounds the whole
  // exchange, however long the stream; `max_body_bytes` the body received.
  HttpRequest http;
  // Longest wait for the response head after the request was sent (time to first byte).
  std::chrono::milliseconds head_timeout{60000};
  // Longest silence between two pieces of the body once it has started.
  std::chrono::milliseconds idle_timeout{30000};
};

class StreamHandler {
 public:
  virtual ~StreamHandler() = default;
  // The head of the final response (after redirects): status, headers, content_type, final_url;
  // `body` empty. Return false to abort the exchange (OnDone then gets kCancelled).
  virtual bool OnHead(const HttpResponse& head) = 0;
  // The next piece of the decoded body; never empty. Return false to abort (OnDone: kCancelled).
  virtual bool OnData(std::string_view bytes) = 0;
  // Once, last. OK when the body ended normally. Errors as HttpClient::Send, plus:
  //   kCancelled      the Cancellation fired, a handler returned false, or the client is
  //                   shutting down
  //   kUnavailable    "timed out": no head within head_timeout, a silence longer than
  //                   idle_timeout, or the whole timeout passed; or the connection broke mid-body
  virtual void OnDone(Status status) = 0;
};

class StreamClient {
 public:
  virtual ~StreamClient() = default;
  // Starts the exchange and returns at once; `handler` is kept until OnDone has returned.
  // Cancelling `cancel` (may be null) aborts the exchange at once, wherever it is: resolving,
  // connecting, waiting for the head or mid-body; OnDone then gets kCancelled. An invalid request
  // (see HttpClient::Send) gets OnDone(kInvalidArgument) without anything sent.
  virtual void Start(StreamRequest request, std::shared_ptr<StreamHandler> handler,
                     std::shared_ptr<Cancellation> cancel) = 0;
};

}  // namespace studybot::outbound
