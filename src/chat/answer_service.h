// AnswerService: the steps of the answer pipeline (issue 10) that block: everything before the
// model writes (Prepare: the session, the daily caps, the memory, the standalone question,
// retrieval, the prompt) and everything after (Finish: citations, the fallback, confidence, and
// saving both messages with their analytics events and the chat.message webhook event). The
// writing itself streams and is driven by answer_flow.h, on the connection's executor.
//
// Confidence (0..1) of an answer that is not a fallback:
//   0.4 x the relevance of its best cited source (cosine similarity to the question, or
//         bm25 / (bm25 + 5) when the source was found by keywords alone)
//   + 0.4 x question coverage (the share of the question's content stems found in the answer)
//   + 0.2 x citation coverage (the share of the answer's sentences that cite a source).
// A fallback answer has confidence 0.
//
// Blocking; thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "ai/chat_model.h"
#include "chat/chat_models.h"
#include "chat/message_repository.h"
#include "chat/prompt.h"
#include "chat/session_service.h"
#include "chatbots/repository.h"
#include "core/events.h"
#include "core/time.h"
#include "ingest/knowledge_search.h"

namespace studybot::chat {

struct AskInput {
  chatbots::Chatbot bot;
  std::string session_id;  // "" = start a session
  std::string message;
  std::string ip;
  std::string user_agent;
  std::string user_id;  // the admin trying the chatbot; "" from the widget
  bool widget = true;   // daily caps apply to widget traffic only
};

struct AnswerSource {
  int number = 0;  // as cited in the answer: "[2]"
  std::string document_id;
  std::string title;
  std::string url;
  std::string snippet;
  double score = 0;  // relevance (see Confidence above)
};

// What Prepare found, for generating and finishing the answer.
struct PendingAnswer {
  AskInput in;
  std::string session_id;
  bool session_started = false;
  std::string question_id;
  std::string answer_id;
  std::string asked_at;  // RFC 3339
  std::chrono::steady_clock::time_point started;
  std::string language;    // en | fr
  std::string standalone;  // the retrieval query
  bool rewritten_by_model = false;
  std::vector<ChatMessage> history;   // the session's latest messages, oldest first
  std::vector<AnswerSource> sources;  // numbered as in the prompt
  std::string retrieval_mode;
  bool fallback = false;  // nothing relevant was found: no model call
  ai::ChatRequest request;
  PromptInput prompt;  // what `request.messages` was built from (Shrink rebuilds it)
  // The model that answers; the built-in answerer when the chatbot's provider settings could
  // not make one (`model_error` says why, and the answer is marked degraded).
  std::shared_ptr<ai::ChatModel> model;
  std::string model_error;
};

// What generation produced, for Finish.
struct Generation {
  Result<ai::ChatCompletion> result = Error::Internal("not generated");
  std::string streamed;     // the deltas sent, concatenated
  bool degraded = false;    // the extractive answer given because the model failed
  std::string model_error;  // the model's failure when degraded ("" otherwise)
};

struct AnswerRecord {
  std::string message_id;
  std::string question_id;
  std::string session_id;
  std::string response;
  std::vector<AnswerSource> sources;  // cited, in order of first citation
  std::vector<AnswerSource> uncited;
  double confidence = 0;
  int64_t response_time_ms = 0;
  bool fallback = false;
  bool degraded = false;
  // Why the configured model did not answer (degraded answers); shown to admins only.
  std::string model_error;
  bool for_admin = false;
  std::string model;
  ai::ChatUsage usage;
  std::string created_at;
};

class AnswerService {
 public:
  AnswerService(ChatSessionService& sessions, ChatSessionRepository& session_rows,
                MessageRepository& messages, ingest::KnowledgeSearch& search,
                ChatModelRegistry& models, const Clock& clock, EventSink* events = nullptr)
      : sessions_(sessions),
        session_rows_(session_rows),
        messages_(messages),
        search_(search),
        models_(models),
        clock_(clock),
        events_(events) {}

  // Begin, then Retrieve. Errors: kNotFound (the session is not one of this chatbot's),
  // kRateLimited (the chatbot's daily cap is reached; slug daily_cap_reached, retry after the
  // next UTC midnight), kUnavailable (the search index or the database is down).
  Result<PendingAnswer> Prepare(const AskInput& in);
  // The session (started when there is none), the caps, the memory, the model, and the
  // heuristic standalone question.
  Result<PendingAnswer> Begin(const AskInput& in);
  // When a chat model answers and the question is a follow-up: the request that asks the model
  // to rewrite it into a standalone question (answer_flow.h runs it); nullopt otherwise.
  std::optional<ai::ChatRequest> RewriteRequest(const PendingAnswer& pending);
  // Takes the model's rewrite as the retrieval query unless it looks wrong (empty, several
  // lines, over 600 bytes, "I don't know"): the heuristic's then stays.
  static void UseRewrite(PendingAnswer& pending, std::string_view text);
  // Retrieval with the standalone question, and the prompt.
  Status Retrieve(PendingAnswer& pending);

  // The built-in extractive answerer: the degraded path when the model fails.
  ai::ChatModel& Builtin() { return models_.builtin(); }

  // `pending` with its prompt rebuilt for half the context window (the model refused it as too
  // long); nullopt when it cannot shrink further.
  std::optional<PendingAnswer> Shrink(const PendingAnswer& pending) const;

  // Post-processes and saves the answer. kNotFound when the session went away meanwhile.
  Result<AnswerRecord> Finish(const PendingAnswer& pending, const Generation& generation);

  // The visitor left before the answer was written: saves the question alone.
  Status SaveUnanswered(const PendingAnswer& pending);

  // Messages longer than this many bytes are refused: 4,000 characters of 4 bytes (the JSON
  // Schema's limit, in characters, usually refuses them first).
  static constexpr std::size_t kMaxMessageBytes = 16000;

 private:
  Status CheckDailyCaps(const chatbots::Chatbot& bot);
  AnalyticsEvent SentEvent(const PendingAnswer& p) const;
  std::string FallbackText(const PendingAnswer& p) const;

  ChatSessionService& sessions_;
  ChatSessionRepository& session_rows_;
  MessageRepository& messages_;
  ingest::KnowledgeSearch& search_;
  ChatModelRegistry& models_;
  const Clock& clock_;
  EventSink* events_;

  std::mutex mu_;
  // chatbot id -> the UTC day ("2026-12-02") its cap warning was last published.
  std::map<std::string, std::string> cap_warned_;  // REQUIRES: mu_ held
};

boost::json::object AnswerRecordJson(const AnswerRecord& r);
boost::json::object AnswerSourceJson(const AnswerSource& s);

}  // namespace studybot::chat
