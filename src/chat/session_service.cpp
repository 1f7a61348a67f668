#include "chat/session_service.h"

#include <boost/json/parse.hpp>

#include "core/ids.h"
#include "core/strings.h"

namespace studybot::chat {

bool PlausibleSessionId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '-';
    if (!ok) return false;
  }
  return true;
}

boost::json::object SessionJson(const ChatSession& s, bool for_admin) {
  boost::json::object o{{"id", s.id},
                        {"chatbot_id", s.chatbot_id},
                        {"started_at", s.started_at},
                        {"last_activity_at", s.last_activity_at},
                        {"message_count", s.message_count}};
  o["visitor_id"] = s.visitor_id.empty() ? boost::json::value(nullptr) : s.visitor_id.c_str();
  if (for_admin) {
    o["ip"] = s.ip.empty() ? boost::json::value(nullptr) : s.ip.c_str();
    o["user_agent"] = s.user_agent.empty() ? boost::json::value(nullptr) : s.user_agent.c_str();
  }
  return o;
}

boost::json::object MessageJson(const ChatMessage& m) {
  boost::json::object o{
      {"id", m.id}, {"type", m.type}, {"content", m.content}, {"created_at", m.created_at}};
  o["feedback"] = m.feedback.empty() ? boost::json::value(nullptr) : m.feedback.c_str();
  if (m.type == "bot") {
    boost::json::object meta;
    meta["response_time_ms"] =
        m.response_time_ms ? boost::json::value(*m.response_time_ms) : nullptr;
    meta["confidence"] = m.confidence ? boost::json::value(*m.confidence) : nullptr;
    boost::system::error_code ec;
    auto sources = boost::json::parse(m.sources, ec);
    meta["sources"] = (!ec && sources.is_array()) ? sources : boost::json::array{};
    meta["fallback"] = m.fallback;
    meta["degraded"] = m.degraded;
    meta["model"] = m.model.empty() ? boost::json::value(nullptr) : boost::json::value(m.model);
    meta["prompt_tokens"] = m.prompt_tokens ? boost::json::value(*m.prompt_tokens) : nullptr;
    meta["completion_tokens"] =
        m.completion_tokens ? boost::json::value(*m.completion_tokens) : nullptr;
    o["metadata"] = std::move(meta);
  }
  return o;
}

Result<ChatSession> ChatSessionService::Start(const SessionStart& in) {
  ChatSession s;
  s.id = NewUuid();
  s.chatbot_id = in.chatbot_id;
  s.visitor_id = in.visitor_id;
  s.ip = in.ip;
  s.user_agent = CleanUtf8(in.user_agent, 1024);
  s.started_at = s.last_activity_at = FormatRfc3339Millis(clock_.Now());
  auto st = sessions_.Insert(s, NewUuid());
  if (!st.ok()) return st.error();
  if (events_ != nullptr) {
    events_->Publish(s.chatbot_id, "chat.session_started",
                     {{"session_id", s.id}, {"started_at", s.started_at}});
  }
  return s;
}

Result<History> ChatSessionService::Load(const ChatSession& session) {
  auto messages = sessions_.Messages(session.id, kMaxHistoryMessages);
  if (!messages.ok()) return messages.error();
  return History{session, std::move(messages).value()};
}

Result<History> ChatSessionService::HistoryForWidget(const std::string& chatbot_id,
                                                     const std::string& session_id) {
  auto s = sessions_.Find(session_id);
  if (!s.ok()) return s.error();
  // Another chatbot's session looks exactly like a missing one.
  if (!*s || (*s)->chatbot_id != chatbot_id) return Error::NotFound("no such chat session");
  return Load(**s);
}

Result<History> ChatSessionService::HistoryForAdmin(const auth::Principal& who,
                                                    const std::string& session_id) {
  auto s = sessions_.Find(session_id);
  if (!s.ok()) return s.error();
  if (!*s) return Error::NotFound("no such chat session");
  auto access = chatbots_.CheckAccess(who, (*s)->chatbot_id);
  if (!access.ok()) return access.error();
  return Load(**s);
}

Result<SessionPage> ChatSessionService::List(const auth::Principal& who,
                                             const std::string& chatbot_id, int limit,
                                             const std::string& cursor) {
  SessionQuery q;
  q.chatbot_id = chatbot_id;
  q.limit = limit;
  q.cursor = cursor;
  if (!chatbot_id.empty()) {
    auto bot = chatbots_.Find(who, chatbot_id);
    if (!bot.ok()) return bot.error();
  } else if (!who.IsSystemAdmin()) {
    q.member = who.user_id;
  }
  return sessions_.List(q);
}

}  // namespace studybot::chat
