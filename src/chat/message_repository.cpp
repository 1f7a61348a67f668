#include "chat/message_repository.h"

#include <boost/json/serialize.hpp>

namespace studybot::chat {
namespace {

using storage::Value;

Value OptionalInt(const std::optional<int64_t>& v) {
  return v ? Value(*v) : Value();
}

Status InsertMessage(storage::Connection& c, const std::string& chatbot_id, const ChatMessage& m) {
  auto r = c.Execute(
      "INSERT INTO chat_messages (id, chatbot_id, session_id, type, content, created_at, "
      "feedback, response_time_ms, sources, confidence, model, prompt_tokens, completion_tokens, "
      "fallback, degraded, metadata) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {Value(m.id), Value(chatbot_id), Value(m.session_id), Value(m.type), Value(m.content),
       Value(m.created_at), OptionalInt(m.response_time_ms), storage::OrNull(m.sources),
       m.confidence ? Value(*m.confidence) : Value(), storage::OrNull(m.model),
       OptionalInt(m.prompt_tokens), OptionalInt(m.completion_tokens),
       Value(int64_t{m.fallback ? 1 : 0}), Value(int64_t{m.degraded ? 1 : 0}),
       storage::OrNull(m.metadata)});
  if (!r.ok()) return r.error();
  return OkStatus();
}

Status InsertEvent(storage::Connection& c, const std::string& chatbot_id,
                   const std::string& session_id, const AnalyticsEvent& e) {
  auto r = c.Execute(
      "INSERT INTO analytics_events (id, type, chatbot_id, session_id, user_id, created_at, "
      "metadata) VALUES (?, ?, ?, ?, ?, ?, ?)",
      {Value(e.id), Value(e.type), Value(chatbot_id), storage::OrNull(session_id),
       storage::OrNull(e.user_id), Value(e.created_at), Value(boost::json::serialize(e.metadata))});
  if (!r.ok()) return r.error();
  return OkStatus();
}

}  // namespace

Status MessageRepository::SaveExchange(const SavedExchange& x) {
  auto done = db_.InTransaction<bool>([&](storage::Connection& c) -> Result<bool> {
    const std::string& session = x.question.session_id;
    int64_t added = x.answer ? 2 : 1;
    const std::string& last = x.answer ? x.answer->created_at : x.question.created_at;
    auto up = c.Execute(
        "UPDATE chat_sessions SET message_count = message_count + ?, last_activity_at = ? "
        "WHERE id = ?",
        {Value(added), Value(last), Value(session)});
    if (!up.ok()) return up.error();
    if (up->affected_rows == 0) return Error::NotFound("no such chat session");
    if (auto st = InsertMessage(c, x.chatbot_id, x.question); !st.ok()) return st.error();
    if (auto st = InsertEvent(c, x.chatbot_id, session, x.sent); !st.ok()) return st.error();
    if (x.answer) {
      if (auto st = InsertMessage(c, x.chatbot_id, *x.answer); !st.ok()) return st.error();
    }
    if (x.received) {
      if (auto st = InsertEvent(c, x.chatbot_id, session, *x.received); !st.ok()) {
        return st.error();
      }
    }
    return true;
  });
  if (!done.ok()) return done.error();
  return OkStatus();
}

Result<DailyUsage> MessageRepository::UsageSince(const std::string& chatbot_id,
                                                 const std::string& since) {
  auto rows = db_.Query(
      "SELECT COUNT(*), COALESCE(SUM(COALESCE(prompt_tokens, 0) + COALESCE(completion_tokens, "
      "0)), 0) FROM chat_messages WHERE chatbot_id = ? AND created_at >= ? AND type = 'bot' AND "
      "fallback = 0",
      {Value(chatbot_id), Value(since)});
  if (!rows.ok()) return rows.error();
  DailyUsage u;
  if (!rows->empty()) {
    u.messages = rows->rows[0].GetInt(0);
    u.tokens = rows->rows[0].GetInt(1);
  }
  return u;
}

Result<std::optional<MessageRef>> MessageRepository::FindMessage(const std::string& id) {
  auto rows = db_.Query("SELECT id, chatbot_id, session_id, type FROM chat_messages WHERE id = ?",
                        {Value(id)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<MessageRef>();
  const auto& r = rows->rows[0];
  return std::optional<MessageRef>(
      MessageRef{r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3)});
}

Result<bool> MessageRepository::SetFeedback(const FeedbackRecord& f) {
  return db_.InTransaction<bool>([&](storage::Connection& c) -> Result<bool> {
    auto existing = c.Query("SELECT id FROM feedbacks WHERE message_id = ?", {Value(f.message.id)});
    if (!existing.ok()) return existing.error();
    bool replaced = !existing->empty();
    if (replaced) {
      auto up = c.Execute(
          "UPDATE feedbacks SET rating = ?, comment = ?, created_at = ? WHERE message_id = ?",
          {Value(f.rating), storage::OrNull(f.comment), Value(f.created_at), Value(f.message.id)});
      if (!up.ok()) return up.error();
    } else {
      auto ins = c.Execute(
          "INSERT INTO feedbacks (id, chatbot_id, session_id, message_id, rating, comment, "
          "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
          {Value(f.id), Value(f.message.chatbot_id), Value(f.message.session_id),
           Value(f.message.id), Value(f.rating), storage::OrNull(f.comment), Value(f.created_at)});
      if (!ins.ok()) return ins.error();
    }
    auto msg = c.Execute("UPDATE chat_messages SET feedback = ? WHERE id = ?",
                         {Value(f.rating), Value(f.message.id)});
    if (!msg.ok()) return msg.error();
    if (msg->affected_rows == 0) return Error::NotFound("no such message");
    auto ev = InsertEvent(c, f.message.chatbot_id, f.message.session_id, f.event);
    if (!ev.ok()) return ev.error();
    return replaced;
  });
}

}  // namespace studybot::chat
