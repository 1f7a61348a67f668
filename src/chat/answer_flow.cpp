#include "chat/answer_flow.h"

#include <variant>

#include <boost/asio/this_coro.hpp>

#include "core/async_queue.h"

namespace studybot::chat {
namespace {

namespace asio = boost::asio;

using Piece = std::variant<std::string, Result<ai::ChatCompletion>>;

class QueueSink final : public ai::ChatSink {
 public:
  explicit QueueSink(std::shared_ptr<AsyncQueue<Piece>> queue) : queue_(std::move(queue)) {}
  void OnDelta(std::string_view text) override { queue_->Push(std::string(text)); }
  void OnComplete(Result<ai::ChatCompletion> result) override {
    queue_->Push(std::move(result));
    queue_->Close();
  }

 private:
  std::shared_ptr<AsyncQueue<Piece>> queue_;
};

// One model's attempt: starts it and forwards its deltas until it completes. `gone` is set when
// the visitor left.
asio::awaitable<Generation> Attempt(ai::ChatModel& model, WorkerPool& workers,
                                    const PendingAnswer& pending, AnswerOutput& output,
                                    const std::shared_ptr<Cancellation>& cancel, bool& gone) {
  auto ex = co_await asio::this_coro::executor;
  auto queue = std::make_shared<AsyncQueue<Piece>>(ex);
  // The visitor leaving must wake the wait below even while the model is silent.
  cancel->OnCancel([queue] { queue->Close(); });
  auto sink = std::make_shared<QueueSink>(queue);
  ai::ChatRequest request = pending.request;
  // A remote model returns at once; the extractive one does its work inside Start, so Start
  // runs on a worker either way.
  auto start = [&model, &request, sink, cancel] {
    model.Start(std::move(request), sink, cancel);
    return true;
  };
  co_await workers.Run(start);

  Generation g;
  for (;;) {
    auto pieces = co_await queue->Next(output.idle_interval());
    if (!pieces) break;  // closed: completed, or the visitor left
    if (pieces->empty()) {
      if (!co_await output.Idle()) {
        gone = true;
        cancel->Cancel();
        co_return g;
      }
      continue;
    }
    for (auto& piece : *pieces) {
      if (auto* text = std::get_if<std::string>(&piece)) {
        g.streamed += *text;
        if (!co_await output.Delta(*text)) {
          gone = true;
          cancel->Cancel();
          co_return g;
        }
      } else {
        g.result = std::move(std::get<Result<ai::ChatCompletion>>(piece));
        co_return g;
      }
    }
  }
  gone = cancel->cancelled();
  if (!gone) g.result = Error::Internal("the model ended without completing");
  co_return g;
}

class Silent final : public AnswerOutput {
 public:
  asio::awaitable<bool> Delta(std::string_view) override { co_return true; }
  asio::awaitable<bool> Idle() override { co_return true; }
};

}  // namespace

asio::awaitable<void> RewriteFollowUp(AnswerService& answers, WorkerPool& workers,
                                      PendingAnswer& pending) {
  auto request = answers.RewriteRequest(pending);
  if (!request) co_return;
  PendingAnswer ask = pending;
  ask.request = std::move(*request);
  Silent output;
  bool gone = false;
  auto g = co_await Attempt(*pending.model, workers, ask, output, std::make_shared<Cancellation>(),
                            gone);
  // A model that cannot rewrite (down, refusing) leaves the heuristic's question; the answer
  // itself will then find out whether the model works.
  if (g.result.ok()) AnswerService::UseRewrite(pending, g.result->text);
}

asio::awaitable<Result<AnswerRecord>> RunAnswer(AnswerService& answers, WorkerPool& workers,
                                                const PendingAnswer& pending, AnswerOutput& output,
                                                std::shared_ptr<Cancellation> cancel) {
  Generation g;
  bool gone = false;
  if (pending.fallback) {
    g.result = ai::ChatCompletion{};
    g.result->no_answer = true;
  } else {
    ai::ChatModel& model = *pending.model;
    g = co_await Attempt(model, workers, pending, output, cancel, gone);
    auto failed_silently = [&] {
      return !gone && !g.result.ok() && g.streamed.empty() &&
             g.result.error().code != ErrorCode::kCancelled;
    };
    // A prompt the model found too long is rebuilt for half the window and asked once more.
    if (failed_silently() && g.result.error().slug == "context_length_exceeded") {
      if (auto smaller = answers.Shrink(pending)) {
        g = co_await Attempt(model, workers, *smaller, output, cancel, gone);
      }
    }
    if (failed_silently() && &model != &answers.Builtin()) {
      std::string why = g.result.error().message;
      g = co_await Attempt(answers.Builtin(), workers, pending, output, cancel, gone);
      g.degraded = true;
      g.model_error = why;
    } else if (!pending.model_error.empty()) {
      // The chatbot's provider settings made no model: the built-in answerer answered.
      g.degraded = true;
      g.model_error = pending.model_error;
    }
  }
  if (gone || cancel->cancelled()) {
    auto save = [&answers, &pending] { return answers.SaveUnanswered(pending); };
    (void)co_await workers.Run(save);
    co_return Error::Cancelled("the visitor left before the answer was written");
  }
  auto finish = [&answers, &pending, &g] { return answers.Finish(pending, g); };
  auto record = co_await workers.Run(finish);
  // The fallback is written by nobody: it is streamed as one piece, so that every answer a
  // stream shows arrives as deltas.
  if (record.ok() && g.streamed.empty() && !record->response.empty()) {
    (void)co_await output.Delta(record->response);
  }
  co_return record;
}

}  // namespace studybot::chat
