// RunAnswer: drives one answer from a prepared question to its saved record, on the executor of
// the visitor's connection, without holding a thread while the model writes: the model hands its
// deltas to an AsyncQueue from whatever thread it runs on, and this coroutine forwards them to
// the AnswerOutput (SSE events, or nothing for a plain JSON answer) as they come.
//
// The fallback (nothing relevant found) calls no model; its text is handed to the output as one
// delta, as is any answer no model streamed. A model that refuses the prompt as too long before
// its first delta is asked once more with the prompt rebuilt for half the window. A model that
// fails before its first delta is replaced by the built-in extractive answerer, and the answer
// is marked degraded; one that fails after it has started writing ends the answer with what it
// wrote. When the visitor
// goes away (the output refuses a delta, or `cancel` fires), the model is cancelled at once and
// only the question is saved.
#pragma once

#include <memory>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "chat/answer_service.h"
#include "core/cancellation.h"
#include "core/worker_pool.h"

namespace studybot::chat {

class AnswerOutput {
 public:
  virtual ~AnswerOutput() = default;
  // A piece of the answer as it is written; false when nobody listens any more.
  virtual boost::asio::awaitable<bool> Delta(std::string_view text) = 0;
  // Nothing arrived for idle_interval(): a heartbeat for streams; false when nobody listens.
  virtual boost::asio::awaitable<bool> Idle() = 0;
  virtual std::chrono::milliseconds idle_interval() const { return std::chrono::seconds(15); }
};

// Step 1 with a chat model: asks it to rewrite a follow-up into a standalone question (see
// AnswerService::RewriteRequest) and takes its answer as the retrieval query; keeps the
// heuristic's when the model fails. Between AnswerService::Begin and Retrieve.
boost::asio::awaitable<void> RewriteFollowUp(AnswerService& answers, WorkerPool& workers,
                                             PendingAnswer& pending);

// kCancelled when the visitor left; otherwise Finish's result.
boost::asio::awaitable<Result<AnswerRecord>> RunAnswer(AnswerService& answers, WorkerPool& workers,
                                                       const PendingAnswer& pending,
                                                       AnswerOutput& output,
                                                       std::shared_ptr<Cancellation> cancel);

}  // namespace studybot::chat
