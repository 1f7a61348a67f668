// FeedbackService: visitors (and admins) rating answers, POST /api/chat/feedback. One rating per
// answer: rating again replaces it. Each rating is stored in `feedbacks` and on the message, and
// writes a feedback_given analytics event and a chat.feedback webhook event. Blocking;
// thread-safe.
#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "auth/principal.h"
#include "chat/message_repository.h"
#include "chatbots/service.h"
#include "core/events.h"
#include "core/time.h"

namespace studybot::chat {

struct FeedbackInput {
  std::string message_id;
  std::string rating;  // positive | negative
  std::string comment;
};

struct FeedbackResult {
  std::string message_id;
  std::string rating;
  std::string comment;
  bool replaced = false;  // it changed an earlier rating
  std::string created_at;
};

class FeedbackService {
 public:
  FeedbackService(MessageRepository& messages, chatbots::ChatbotService& chatbots,
                  const Clock& clock, EventSink* events = nullptr)
      : messages_(messages), chatbots_(chatbots), clock_(clock), events_(events) {}

  // The widget: only an answer of its own session (`session_id`) and chatbot; anything else is
  // kNotFound, as a missing message is.
  Result<FeedbackResult> FromWidget(const std::string& chatbot_id, const std::string& session_id,
                                    const FeedbackInput& in);
  // An admin of the answer's chatbot (kPermissionDenied for others).
  Result<FeedbackResult> FromAdmin(const auth::Principal& who, const FeedbackInput& in);

 private:
  Result<FeedbackResult> Record(const MessageRef& message, const FeedbackInput& in,
                                const std::string& user_id);

  MessageRepository& messages_;
  chatbots::ChatbotService& chatbots_;
  const Clock& clock_;
  EventSink* events_;
};

boost::json::object FeedbackJson(const FeedbackResult& f);

}  // namespace studybot::chat
