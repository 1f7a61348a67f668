// ChatSessionRepository: the SQL of widget chat sessions and their messages. Blocking;
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "storage/database.h"

namespace studybot::chat {

struct ChatSession {
  std::string id;
  std::string chatbot_id;
  std::string visitor_id;
  std::string ip;
  std::string user_agent;
  std::string started_at;
  std::string last_activity_at;
  int64_t message_count = 0;
};

struct ChatMessage {
  std::string id;
  std::string session_id;
  std::string type;  // user | bot
  std::string content;
  std::string created_at;
  std::string feedback;  // "" | positive | negative
  std::optional<int64_t> response_time_ms;
  std::string sources;  // JSON array text, "" when none
  std::optional<double> confidence;
  // Bot messages (issue 10): who answered, its token counts, the answer's flags, and further
  // metadata (a JSON object's text, "" when none).
  std::string model;
  std::optional<int64_t> prompt_tokens;
  std::optional<int64_t> completion_tokens;
  bool fallback = false;
  bool degraded = false;
  std::string metadata;
};

// The columns MessageFromRow reads, in its order (for SELECTs of chat_messages).
extern const char* const kMessageColumns;
ChatMessage MessageFromRow(const storage::Row& row);

struct SessionQuery {
  std::string chatbot_id;             // "" for any
  std::optional<std::string> member;  // only chatbots this user is a member of
  int limit = 50;
  std::string cursor;
};

struct SessionPage {
  std::vector<ChatSession> items;  // newest first
  std::string next_cursor;
};

class ChatSessionRepository {
 public:
  explicit ChatSessionRepository(storage::Database& db) : db_(db) {}

  // Inserts the session and its session_started analytics event together.
  Status Insert(const ChatSession& session, const std::string& event_id);
  Result<std::optional<ChatSession>> Find(const std::string& id);
  // kInvalidArgument for a malformed cursor.
  Result<SessionPage> List(const SessionQuery& query);
  // The newest `limit` messages, oldest first.
  Result<std::vector<ChatMessage>> Messages(const std::string& session_id, int limit);

 private:
  storage::Database& db_;
};

}  // namespace studybot::chat
