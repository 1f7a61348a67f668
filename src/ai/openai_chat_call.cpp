#include "ai/openai_chat_call.h"

#include <algorithm>
#include <utility>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "ai/backoff.h"
#include "ingest/token_count.h"

namespace studybot::ai {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using Outcome = CircuitBreaker::Outcome;

// What an error body may take: enough for any provider's error object.
constexpr std::size_t kMaxErrorBody = 64 << 10;

// Hands the client's callbacks (on its thread) to the call's strand, and tells the client to
// abort once the call has stopped reading.
class Handler final : public outbound::StreamHandler {
 public:
  Handler(std::shared_ptr<OpenAiChatCall> call, int attempt,
          std::shared_ptr<std::atomic<bool>> stop)
      : call_(std::move(call)), attempt_(attempt), stop_(std::move(stop)) {}

  bool OnHead(const outbound::HttpResponse& head) override {
    asio::post(call_->strand(), [c = call_, a = attempt_, head] { c->OnHead(a, head); });
    return !stop_->load();
  }
  bool OnData(std::string_view bytes) override {
    asio::post(call_->strand(),
               [c = call_, a = attempt_, b = std::string(bytes)] { c->OnData(a, b); });
    return !stop_->load();
  }
  void OnDone(Status status) override {
    asio::post(call_->strand(), [c = call_, a = attempt_, s = std::move(status)]() mutable {
      c->OnDone(a, std::move(s));
    });
  }

 private:
  const std::shared_ptr<OpenAiChatCall> call_;
  const int attempt_;
  const std::shared_ptr<std::atomic<bool>> stop_;
};

std::string RequestBody(const OpenAiChatModel::Shared& s, const ChatRequest& r) {
  namespace json = boost::json;
  json::object body;
  if (s.options.provider == OpenAiProvider::kOpenAi) {
    body["model"] = r.model.empty() ? s.options.model : r.model;
  }
  json::array messages;
  messages.reserve(r.messages.size());
  for (const ChatTurn& t : r.messages)
    messages.push_back(json::object{{"role", t.role}, {"content", t.content}});
  body["messages"] = std::move(messages);
  body["temperature"] = r.temperature;
  body[s.max_completion_tokens ? "max_completion_tokens" : "max_tokens"] = r.max_tokens;
  if (s.options.stream) {
    body["stream"] = true;
    if (s.options.stream_usage) body["stream_options"] = json::object{{"include_usage", true}};
  }
  return json::serialize(body);
}

}  // namespace

OpenAiChatCall::OpenAiChatCall(std::shared_ptr<OpenAiChatModel::Shared> shared, ChatRequest request,
                               std::shared_ptr<ChatSink> sink, std::shared_ptr<Cancellation> cancel)
    : shared_(std::move(shared)),
      request_(std::move(request)),
      sink_(std::move(sink)),
      cancel_(cancel ? std::move(cancel) : std::make_shared<Cancellation>()),
      strand_(asio::make_strand(shared_->executor)),
      timer_(strand_) {}

void OpenAiChatCall::Begin() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->request_.messages.empty()) {
      return self->Finish(Error::InvalidArgument(self->shared_->what + ": no messages to send"));
    }
    self->body_ = RequestBody(*self->shared_, self->request_);
    self->prompt_estimate_ = EstimatePromptTokens(self->request_.messages);
    // Held weakly: the Cancellation may fire long after the call ended.
    self->cancel_->OnCancel([weak = std::weak_ptr<OpenAiChatCall>(self)] {
      if (auto call = weak.lock()) asio::post(call->strand_, [call] { call->OnCancelled(); });
    });
    self->Attempt();
  });
}

void OpenAiChatCall::Attempt() {
  if (completed_) return;
  if (cancel_->cancelled()) return OnCancelled();
  CircuitBreaker& breaker = *shared_->account.breaker;
  if (!breaker.Allow()) {
    const auto retry = std::chrono::ceil<std::chrono::seconds>(breaker.RetryIn()).count();
    return Finish(Error::Unavailable(
        shared_->what + ": the provider keeps failing, circuit open (next try in " +
        std::to_string(std::max<long>(1, static_cast<long>(retry))) + " s)" + Tries()));
  }
  breaker_pending_ = true;
  ++attempt_;
  const milliseconds wait =
      shared_->account.budget->Reserve(prompt_estimate_ + request_.max_tokens);
  if (wait.count() > 0) return Wait(wait, &OpenAiChatCall::Send);
  Send();
}

void OpenAiChatCall::Wait(milliseconds wait, void (OpenAiChatCall::*next)()) {
  timer_.expires_after(wait);
  timer_.async_wait(asio::bind_executor(
      strand_, [self = shared_from_this(), next](const boost::system::error_code& ec) {
        if (self->completed_) return;
        if (ec || self->cancel_->cancelled()) return self->OnCancelled();
        ((*self).*next)();
      }));
}

void OpenAiChatCall::Send() {
  const OpenAiChatModelOptions& o = shared_->options;
  outbound::StreamRequest r;
  r.http.method = "POST";
  r.http.url = shared_->url;
  r.http.headers = {{"Content-Type", "application/json"},
                    {"Accept", o.stream ? "text/event-stream" : "application/json"}};
  AddKeyHeader(o.provider, o.api_key, r.http.headers);
  r.http.body = body_;
  r.http.timeout = o.total_timeout;
  r.http.max_body_bytes = o.max_body_bytes;
  // An API has no business redirecting, and the client would carry the api-key header along.
  r.http.max_redirects = 0;
  r.head_timeout = o.head_timeout;
  r.idle_timeout = o.idle_timeout;

  stop_ = std::make_shared<std::atomic<bool>>(false);
  head_ = {};
  event_stream_ = false;
  body_in_.clear();
  parser_.reset();
  aborted_.reset();
  shared_->client.Start(std::move(r),
                        std::make_shared<Handler>(shared_from_this(), attempt_, stop_), cancel_);
}

void OpenAiChatCall::OnHead(int attempt, outbound::HttpResponse head) {
  if (completed_ || attempt != attempt_ || aborted_) return;
  head_ = std::move(head);
  // A server that ignores `stream` answers JSON: read it as such.
  event_stream_ = shared_->options.stream && head_.content_type == "text/event-stream";
  if (event_stream_) parser_.emplace();
}

void OpenAiChatCall::OnData(int attempt, const std::string& bytes) {
  if (completed_ || attempt != attempt_ || aborted_) return;
  const bool ok = head_.status >= 200 && head_.status <= 299;
  if (!ok || !event_stream_) {
    const std::size_t limit = ok ? shared_->options.max_body_bytes : kMaxErrorBody;
    if (body_in_.size() < limit) {
      body_in_.append(bytes, 0, std::min(limit - body_in_.size(), bytes.size()));
    }
    return;
  }
  std::vector<ChatStreamEvent> events;
  Status s = parser_->Feed(bytes, events);
  Handle(events);
  if (!s.ok() && !aborted_) Abort(Error::Unavailable(shared_->what + ": " + s.error().message));
}

void OpenAiChatCall::Handle(std::vector<ChatStreamEvent>& events) {
  for (ChatStreamEvent& e : events) {
    if (aborted_) return;
    switch (e.type) {
      case ChatStreamEvent::Type::kDelta:
        text_ += e.text;
        ++deltas_;
        sink_->OnDelta(e.text);
        break;
      case ChatStreamEvent::Type::kFinishReason:
        finish_reason_ = std::move(e.text);
        break;
      case ChatStreamEvent::Type::kUsage:
        usage_ = ChatUsage{e.prompt_tokens, e.completion_tokens, false};
        break;
      case ChatStreamEvent::Type::kModel:
        model_ = std::move(e.text);
        break;
      case ChatStreamEvent::Type::kError: {
        const std::string why = QuoteProviderText(
            e.error.message.empty() ? e.error.code : e.error.message, shared_->options.api_key);
        if (IsContextLengthError(e.error)) {
          Abort(Error::InvalidArgument(shared_->what +
                                       ": the prompt is too long for the model: " + why)
                    .WithSlug("context_length_exceeded"));
        } else {
          Abort(Error::Unavailable(shared_->what +
                                   ": the provider sent an error mid-stream: " + why));
        }
        break;
      }
    }
  }
}

void OpenAiChatCall::Abort(Error error) {
  aborted_ = std::move(error);
  stop_->store(true);
}

void OpenAiChatCall::OnDone(int attempt, Status status) {
  if (completed_ || attempt != attempt_) return;
  if (cancel_->cancelled()) return OnCancelled();
  if (aborted_) {
    // The provider broke the protocol or sent an error: it will most likely do so again.
    Verdict(aborted_->code == ErrorCode::kInvalidArgument ? Outcome::kSuccess : Outcome::kFailure);
    return Finish(std::move(*aborted_));
  }
  if (!status.ok()) {
    const Error& e = status.error();
    std::string msg =
        shared_->what + ": " + QuoteProviderText(e.message, shared_->options.api_key, 500);
    // Only transport failures (kUnavailable: timeouts, refused or broken connections) can go
    // away; the rest (an address the policy refuses, an oversize answer) would happen again.
    if (e.code != ErrorCode::kUnavailable) {
      Verdict(Outcome::kNeutral);
      return Finish(Error::Unavailable(msg + Tries()));
    }
    Verdict(Outcome::kFailure);
    if (deltas_ > 0) {
      return Finish(Error::Unavailable(msg + " (the answer was cut after " +
                                       std::to_string(deltas_) + " deltas)"));
    }
    return RetryOrFail(Error::Unavailable(msg), std::nullopt, true);
  }
  if (head_.status < 200 || head_.status > 299) return OnHttpError();
  OnAnswerEnd();
}

void OpenAiChatCall::OnHttpError() {
  const long status = head_.status;
  const OpenAiChatModelOptions& o = shared_->options;
  if (!IsRetryableStatus(status)) {
    Verdict(Outcome::kSuccess);  // the provider is up; the request was refused
    Error e = OpenAiStatusError(shared_->what, status, body_in_, o.api_key, attempt_, 1);
    if (e.code == ErrorCode::kInvalidArgument &&
        IsContextLengthError(ParseOpenAiApiError(body_in_))) {
      e.slug = "context_length_exceeded";
    }
    return Finish(std::move(e));
  }
  Verdict(status == 429 ? Outcome::kNeutral : Outcome::kFailure);
  const std::optional<milliseconds> hint = RetryAfterHint(head_, shared_->clock.Now());
  // The provider's limit is per account: every other call of the account waits too.
  if (status == 429 && hint) shared_->account.budget->Hold(*hint);
  const milliseconds wait = hint ? *hint : BackoffCeiling(attempt_, o.retry_base, o.retry_cap);
  const long seconds = static_cast<long>(std::chrono::ceil<std::chrono::seconds>(wait).count());
  // OpenAiStatusError counts the attempts itself.
  RetryOrFail(OpenAiStatusError(shared_->what, status, body_in_, o.api_key, attempt_, seconds),
              hint, false);
}

void OpenAiChatCall::RetryOrFail(Error error, std::optional<milliseconds> hint, bool add_tries) {
  const OpenAiChatModelOptions& o = shared_->options;
  if (attempt_ >= o.max_attempts || (hint && *hint > o.max_retry_wait)) {
    if (add_tries) error.message += Tries();
    return Finish(std::move(error));
  }
  Wait(std::max(hint.value_or(milliseconds(0)), shared_->Backoff(attempt_ - 1)),
       &OpenAiChatCall::Attempt);
}

void OpenAiChatCall::OnAnswerEnd() {
  std::vector<ChatStreamEvent> events;
  Status end = OkStatus();
  if (event_stream_) {
    end = parser_->Finish(events);
  } else {
    auto parsed = ParseChatCompletionJson(body_in_);
    if (parsed.ok()) {
      events = std::move(*parsed);
    } else {
      end = std::move(parsed).error();
    }
  }
  Handle(events);
  if (aborted_) return OnDone(attempt_, OkStatus());
  // A stream cut after its finish_reason lost at most its usage; before, it lost the answer.
  if (!end.ok() && !(event_stream_ && !finish_reason_.empty())) {
    Verdict(Outcome::kFailure);
    Error e = Error::Unavailable(shared_->what + ": " + end.error().message);
    if (deltas_ > 0 || !event_stream_) {
      if (deltas_ > 0)
        e.message += " (the answer was cut after " + std::to_string(deltas_) + " deltas)";
      return Finish(std::move(e));
    }
    return RetryOrFail(std::move(e), std::nullopt, true);
  }
  Verdict(Outcome::kSuccess);
  ChatCompletion c;
  c.text = std::move(text_);
  c.finish_reason = finish_reason_.empty() ? "stop" : finish_reason_;
  c.model = !model_.empty()           ? model_
            : !request_.model.empty() ? request_.model
                                      : shared_->default_model;
  if (usage_) {
    c.usage = *usage_;
  } else {
    c.usage = {prompt_estimate_, static_cast<int64_t>(ingest::CountTokens(c.text)), true};
  }
  Finish(std::move(c));
}

void OpenAiChatCall::OnCancelled() {
  if (completed_) return;
  Verdict(Outcome::kNeutral);
  if (stop_) stop_->store(true);
  Finish(Error::Cancelled(shared_->what + ": cancelled"));
}

void OpenAiChatCall::Verdict(Outcome outcome) {
  if (!breaker_pending_) return;
  breaker_pending_ = false;
  shared_->account.breaker->Record(outcome);
}

void OpenAiChatCall::Finish(Result<ChatCompletion> result) {
  if (completed_) return;
  completed_ = true;
  timer_.cancel();
  sink_->OnComplete(std::move(result));
}

std::string OpenAiChatCall::Tries() const {
  return attempt_ > 1 ? " (after " + std::to_string(attempt_) + " attempts)" : std::string();
}

}  // namespace studybot::ai
