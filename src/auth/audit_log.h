// AuditLog: the trail of admin mutations and auth events (who, what, on which object, from where,
// when). Summaries are small JSON objects and must never hold secrets: callers pass only ids,
// names and changed field names. Blocking; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/result.h"
#include "core/time.h"
#include "storage/database.h"

namespace studybot::auth {

// Who acted and from where; filled from the request.
struct AuditActor {
  std::string user_id;  // "" for anonymous (failed login, password reset)
  std::string email;
  std::string ip;
  std::string user_agent;
  std::string request_id;
};

struct AuditEntry {
  std::string action;       // "auth.login", "user.update", "api_key.revoke"...
  std::string target_type;  // "user", "chatbot", "api_key", "session"
  std::string target_id;
  boost::json::object summary;
};

struct AuditRecord {
  std::string id;
  std::string created_at;
  AuditActor actor;
  AuditEntry entry;
};

struct AuditQuery {
  std::string actor_id;  // "" for any
  std::string action;    // "" for any
  std::string from;      // RFC 3339, inclusive; "" for unbounded
  std::string to;        // RFC 3339, exclusive; "" for unbounded
  int limit = 50;
  std::string cursor;  // opaque, from a previous page
};

struct AuditPage {
  std::vector<AuditRecord> records;  // newest first
  std::string next_cursor;           // "" on the last page
};

class AuditLog {
 public:
  AuditLog(storage::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  Status Record(const AuditActor& actor, const AuditEntry& entry);
  // kInvalidArgument for a malformed cursor.
  Result<AuditPage> List(const AuditQuery& query);

 private:
  storage::Database& db_;
  const Clock& clock_;
};

}  // namespace studybot::auth
