// MessageRepository: the SQL of the answer pipeline: a question and its answer saved together
// with their analytics events, a chatbot's usage of the day, and feedback on answers. Blocking;
// thread-safe.
#pragma once

#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "chat/session_repository.h"
#include "core/result.h"
#include "storage/database.h"

namespace studybot::chat {

struct AnalyticsEvent {
  std::string id;
  std::string type;  // message_sent, message_received, feedback_given
  std::string user_id;
  std::string created_at;
  boost::json::object metadata;
};

struct SavedExchange {
  std::string chatbot_id;
  ChatMessage question;
  std::optional<ChatMessage> answer;  // absent when the visitor left before it was written
  AnalyticsEvent sent;
  std::optional<AnalyticsEvent> received;
};

struct DailyUsage {
  int64_t messages = 0;  // answered, fallback answers excepted
  int64_t tokens = 0;    // prompt + completion of those
};

struct MessageRef {
  std::string id;
  std::string chatbot_id;
  std::string session_id;
  std::string type;
};

struct FeedbackRecord {
  std::string id;  // used when the message has no feedback yet
  MessageRef message;
  std::string rating;  // positive | negative
  std::string comment;
  std::string created_at;
  AnalyticsEvent event;
};

class MessageRepository {
 public:
  explicit MessageRepository(storage::Database& db) : db_(db) {}

  // In one transaction: both messages, the session's message_count and last_activity_at, and
  // the events. kNotFound when the session is gone (deleted meanwhile).
  Status SaveExchange(const SavedExchange& exchange);

  // Bot messages of `chatbot_id` created at or after `since` (RFC 3339), fallbacks excepted.
  Result<DailyUsage> UsageSince(const std::string& chatbot_id, const std::string& since);

  Result<std::optional<MessageRef>> FindMessage(const std::string& id);

  // Creates or replaces the message's feedback (one per message), sets it on the message and
  // records the event, in one transaction. Returns whether it replaced an earlier one.
  Result<bool> SetFeedback(const FeedbackRecord& feedback);

 private:
  storage::Database& db_;
};

}  // namespace studybot::chat
