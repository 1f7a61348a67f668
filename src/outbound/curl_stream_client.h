// CurlStreamClient: StreamClient (stream_client.h) on one libcurl multi handle driven by one
// background thread, which runs every transfer and calls every StreamHandler. Thousands of slow
// streams cost a socket and a little memory each. Connections are kept and reused across
// exchanges (the multi handle's connection cache). An aborted exchange (cancelled, timed out,
// stopped by its handler) closes its HTTP/1 connection at once; over HTTP/2 only its stream is
// reset, and the connection stays for the other exchanges on it.
//
// The SSRF boundary is the one of CurlHttpClient, from the same code (curl_common.h).
//
// Thread-safety: Start may be called from any thread, including from inside a handler's method
// (which runs on the client's thread). A Cancellation may be cancelled from any thread, at any
// time, even after the exchange ended or the client was destroyed. The destructor must not run
// on the client's thread (that is, not from inside a handler).
#pragma once

#include <memory>
#include <thread>

#include "outbound/http_client.h"
#include "outbound/stream_client.h"

namespace studybot::outbound {

class CurlStreamClient final : public StreamClient {
 public:
  // Starts the background thread. If libcurl cannot be set up, no thread runs and every Start
  // calls OnDone(kInternal) on its caller's thread before returning.
  explicit CurlStreamClient(HttpClientOptions options);
  // Aborts every exchange in flight (closing its connection) with OnDone(kCancelled "shutting
  // down"), on the client's thread, then joins it. An exchange started while the destructor runs
  // gets OnDone(kCancelled) as well, possibly on the thread that called Start, before Start
  // returns.
  ~CurlStreamClient() override;

  CurlStreamClient(const CurlStreamClient&) = delete;
  CurlStreamClient& operator=(const CurlStreamClient&) = delete;

  // As StreamClient::Start. Also kInvalidArgument for a head_timeout or idle_timeout that is not
  // positive. Timeouts: `http.timeout` runs from when the client's thread takes the exchange up;
  // `head_timeout` bounds name resolution and connecting, and then (again, and for each redirect
  // hop) the wait for the head once the request is sent; `idle_timeout`, once the final head
  // arrived, the silence between any two pieces of the response (head, body pieces). A chunked
  // body's trailers are not reported.
  void Start(StreamRequest request, std::shared_ptr<StreamHandler> handler,
             std::shared_ptr<Cancellation> cancel) override;

 private:
  struct Inbox;
  class Loop;

  // Shared with Cancellation callbacks, which may outlive this object (they hold it weakly).
  std::shared_ptr<Inbox> inbox_;
  std::unique_ptr<Loop> loop_;  // used only on thread_
  std::thread thread_;
};

}  // namespace studybot::outbound
