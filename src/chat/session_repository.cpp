#include "chat/session_repository.h"

#include <algorithm>

#include <boost/json/serialize.hpp>

#include "storage/keyset.h"

namespace studybot::chat {
namespace {

using storage::Value;

constexpr const char* kColumns =
    "s.id, s.chatbot_id, s.visitor_id, s.ip, s.user_agent, s.started_at, s.last_activity_at, "
    "s.message_count";

ChatSession FromRow(const storage::Row& r) {
  return {r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
          r.GetString(4), r.GetString(5), r.GetString(6), r.GetInt(7)};
}

}  // namespace

const char* const kMessageColumns =
    "id, session_id, type, content, created_at, feedback, response_time_ms, sources, confidence, "
    "model, prompt_tokens, completion_tokens, fallback, degraded, metadata";

ChatMessage MessageFromRow(const storage::Row& r) {
  ChatMessage m;
  m.id = r.GetString(0);
  m.session_id = r.GetString(1);
  m.type = r.GetString(2);
  m.content = r.GetString(3);
  m.created_at = r.GetString(4);
  m.feedback = r.GetString(5);
  if (!r.IsNull(6)) m.response_time_ms = r.GetInt(6);
  m.sources = r.GetString(7);
  if (!r.IsNull(8)) m.confidence = r.GetDouble(8);
  m.model = r.GetString(9);
  if (!r.IsNull(10)) m.prompt_tokens = r.GetInt(10);
  if (!r.IsNull(11)) m.completion_tokens = r.GetInt(11);
  m.fallback = r.GetInt(12) != 0;
  m.degraded = r.GetInt(13) != 0;
  m.metadata = r.GetString(14);
  return m;
}

Status ChatSessionRepository::Insert(const ChatSession& s, const std::string& event_id) {
  auto done = db_.InTransaction<bool>([&](storage::Connection& c) -> Result<bool> {
    auto ins = c.Execute(
        "INSERT INTO chat_sessions (id, chatbot_id, visitor_id, ip, user_agent, started_at, "
        "last_activity_at, message_count) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
        {Value(s.id), Value(s.chatbot_id), storage::OrNull(s.visitor_id), storage::OrNull(s.ip),
         storage::OrNull(s.user_agent), Value(s.started_at), Value(s.last_activity_at)});
    if (!ins.ok()) return ins.error();
    boost::json::object meta{{"visitor_id", s.visitor_id.empty()
                                                ? boost::json::value(nullptr)
                                                : boost::json::value(s.visitor_id)}};
    auto ev = c.Execute(
        "INSERT INTO analytics_events (id, type, chatbot_id, session_id, user_id, created_at, "
        "metadata) VALUES (?, 'session_started', ?, ?, NULL, ?, ?)",
        {Value(event_id), Value(s.chatbot_id), Value(s.id), Value(s.started_at),
         Value(boost::json::serialize(meta))});
    if (!ev.ok()) return ev.error();
    return true;
  });
  if (!done.ok()) return done.error();
  return OkStatus();
}

Result<std::optional<ChatSession>> ChatSessionRepository::Find(const std::string& id) {
  auto rows = db_.Query(std::string("SELECT ") + kColumns + " FROM chat_sessions s WHERE s.id = ?",
                        {Value(id)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<ChatSession>();
  return std::optional<ChatSession>(FromRow(rows->rows[0]));
}

Result<SessionPage> ChatSessionRepository::List(const SessionQuery& q) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM chat_sessions s";
  std::vector<Value> params;
  if (q.member) {
    sql += " JOIN chatbot_members m ON m.chatbot_id = s.chatbot_id AND m.user_id = ?";
    params.emplace_back(*q.member);
  }
  sql += " WHERE 1 = 1";
  if (!q.chatbot_id.empty()) {
    sql += " AND s.chatbot_id = ?";
    params.emplace_back(q.chatbot_id);
  }
  auto paged = storage::AppendKeysetPage(sql, params, q.cursor, "s.started_at", "s.id", q.limit);
  if (!paged.ok()) return paged.error();
  auto rows = db_.Query(sql, params);
  if (!rows.ok()) return rows.error();
  SessionPage page;
  for (const auto& r : rows->rows) {
    if (static_cast<int>(page.items.size()) == q.limit) {
      const auto& last = page.items.back();
      page.next_cursor = storage::MakeTimeCursor(last.started_at, last.id);
      break;
    }
    page.items.push_back(FromRow(r));
  }
  return page;
}

Result<std::vector<ChatMessage>> ChatSessionRepository::Messages(const std::string& session_id,
                                                                 int limit) {
  auto rows = db_.Query(std::string("SELECT ") + kMessageColumns +
                            " FROM chat_messages WHERE session_id = ? ORDER BY created_at DESC, "
                            "id DESC LIMIT ?",
                        {Value(session_id), Value(int64_t{limit})});
  if (!rows.ok()) return rows.error();
  std::vector<ChatMessage> out;
  for (const auto& r : rows->rows)
    out.push_back(MessageFromRow(r));
  std::reverse(out.begin(), out.end());  // the newest `limit`, oldest first
  return out;
}

}  // namespace studybot::chat
