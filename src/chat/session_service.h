// ChatSessionService: the widget's conversations. A visitor's widget starts a session with the
// chatbot's publishable key; the session id it gets back is unguessable (122 random bits) and is
// what lets that visitor read the conversation again. Admins list and read the sessions of the
// chatbots they may see. Blocking; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "auth/principal.h"
#include "chat/session_repository.h"
#include "chatbots/service.h"
#include "core/events.h"
#include "core/time.h"

namespace studybot::chat {

struct SessionStart {
  std::string chatbot_id;
  std::string visitor_id;  // optional anonymous id kept by the widget
  std::string ip;
  std::string user_agent;
};

struct History {
  ChatSession session;
  std::vector<ChatMessage> messages;
};

class ChatSessionService {
 public:
  ChatSessionService(ChatSessionRepository& sessions, chatbots::ChatbotService& chatbots,
                     const Clock& clock, EventSink* events = nullptr)
      : sessions_(sessions), chatbots_(chatbots), clock_(clock), events_(events) {}

  // Also records a session_started analytics event and publishes chat.session_started.
  Result<ChatSession> Start(const SessionStart& in);
  // The widget's view: kNotFound unless the session belongs to `chatbot_id`.
  Result<History> HistoryForWidget(const std::string& chatbot_id, const std::string& session_id);
  // The admin's view: kNotFound for unknown sessions, kPermissionDenied for other bots' sessions.
  Result<History> HistoryForAdmin(const auth::Principal& who, const std::string& session_id);
  // Newest first. Bot admins see only their chatbots' sessions (403 when naming another bot).
  Result<SessionPage> List(const auth::Principal& who, const std::string& chatbot_id, int limit,
                           const std::string& cursor);

  // History shows the newest messages of a session, up to this many.
  static constexpr int kMaxHistoryMessages = 500;

 private:
  Result<History> Load(const ChatSession& session);

  ChatSessionRepository& sessions_;
  chatbots::ChatbotService& chatbots_;
  const Clock& clock_;
  EventSink* events_;
};

// Session ids are UUIDs; anything else cannot name a session (and must not reach the limiter's
// keys unbounded).
bool PlausibleSessionId(std::string_view id);

boost::json::object SessionJson(const ChatSession& session, bool for_admin);
boost::json::object MessageJson(const ChatMessage& message);

}  // namespace studybot::chat
