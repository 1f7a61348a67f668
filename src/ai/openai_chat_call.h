// The inside of OpenAiChatModel (openai_chat_model.h): what its calls share, and one call, a
// state machine that runs on a strand. Not for other users.
//
// A call goes: Begin -> [circuit check, limiter wait] -> Send -> OnHead / OnData* / OnDone ->
// either Finish or a backoff wait and the next attempt. Every step runs on the call's strand;
// the StreamHandler posts the client's callbacks there. Thread-safety: Begin and Cancel may be
// called from any thread; the rest is private to the strand.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "ai/openai_chat_model.h"
#include "ai/openai_chat_stream.h"

namespace studybot::ai {

struct OpenAiChatModel::Shared {
  Shared(OpenAiChatModelOptions o, std::string chat_url, outbound::StreamClient& c,
         boost::asio::any_io_executor e, ChatAccount a);

  // A jittered backoff for retry `attempt` (from 0).
  std::chrono::milliseconds Backoff(int attempt);

  const OpenAiChatModelOptions options;
  const std::string url;
  const std::string what;            // "openai chat", names the provider in errors
  const std::string default_model;   // reported when the provider names none
  const bool max_completion_tokens;  // the token limit's field
  outbound::StreamClient& client;
  const boost::asio::any_io_executor executor;
  const std::unique_ptr<RealClock> own_clock;  // when options.clock is null
  const Clock& clock;
  const ChatAccount account;  // after the clock, which its members may use
  std::mutex rng_mu;
  std::mt19937_64 rng;  // REQUIRES: rng_mu held
};

class OpenAiChatCall final : public std::enable_shared_from_this<OpenAiChatCall> {
 public:
  OpenAiChatCall(std::shared_ptr<OpenAiChatModel::Shared> shared, ChatRequest request,
                 std::shared_ptr<ChatSink> sink, std::shared_ptr<Cancellation> cancel);

  // Starts the call on its strand.
  void Begin();

  // The StreamHandler's callbacks for request `attempt`, on the strand.
  void OnHead(int attempt, outbound::HttpResponse head);
  void OnData(int attempt, const std::string& bytes);
  void OnDone(int attempt, Status status);

  boost::asio::strand<boost::asio::any_io_executor>& strand() { return strand_; }

 private:
  void Attempt();
  void Send();
  void OnCancelled();
  // Runs `next` after `wait` unless the call is cancelled first.
  void Wait(std::chrono::milliseconds wait, void (OpenAiChatCall::*next)());
  void Handle(std::vector<ChatStreamEvent>& events);
  // Stops reading the current exchange: it completes with `error`.
  void Abort(Error error);
  // After a retryable failure of the current attempt: the next attempt, or `error` when there
  // is none left or the server asks for a wait longer than max_retry_wait (`add_tries`: append
  // how many attempts were made to its message).
  void RetryOrFail(Error error, std::optional<std::chrono::milliseconds> hint, bool add_tries);
  void OnHttpError();
  void OnAnswerEnd();
  void Verdict(CircuitBreaker::Outcome outcome);
  void Finish(Result<ChatCompletion> result);
  std::string Tries() const;

  const std::shared_ptr<OpenAiChatModel::Shared> shared_;
  const ChatRequest request_;
  const std::shared_ptr<ChatSink> sink_;
  const std::shared_ptr<Cancellation> cancel_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::steady_timer timer_;
  std::string body_;              // the request's JSON
  int64_t prompt_estimate_ = 0;   // EstimatePromptTokens of the messages
  int attempt_ = 0;               // requests sent so far
  bool completed_ = false;        // OnComplete was called
  bool breaker_pending_ = false;  // Allow()ed, not yet Record()ed

  // The current attempt.
  std::shared_ptr<std::atomic<bool>> stop_;  // read by its handler: abort the exchange
  outbound::HttpResponse head_;              // status 0 until the head came
  bool event_stream_ = false;                // the 2xx body is SSE (else JSON)
  std::string body_in_;                      // a JSON or error body, as it arrives
  std::optional<OpenAiChatStreamParser> parser_;
  std::optional<Error> aborted_;  // why the call stopped reading the exchange

  // The answer so far.
  std::string text_;
  std::size_t deltas_ = 0;
  std::string finish_reason_;
  std::string model_;
  std::optional<ChatUsage> usage_;
};

}  // namespace studybot::ai
