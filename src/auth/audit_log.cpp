#include "auth/audit_log.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/ids.h"
#include "storage/keyset.h"

namespace studybot::auth {
namespace {

using storage::Value;

}  // namespace

Status AuditLog::Record(const AuditActor& actor, const AuditEntry& entry) {
  auto r = db_.Execute(
      "INSERT INTO audit_logs (id, created_at, actor_id, actor_email, action, target_type, "
      "target_id, ip, user_agent, request_id, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {Value(NewUuid()), Value(FormatRfc3339Millis(clock_.Now())), storage::OrNull(actor.user_id),
       storage::OrNull(actor.email), Value(entry.action), storage::OrNull(entry.target_type),
       storage::OrNull(entry.target_id), storage::OrNull(actor.ip),
       storage::OrNull(actor.user_agent.substr(0, 512)), storage::OrNull(actor.request_id),
       Value(boost::json::serialize(entry.summary))});
  if (!r.ok()) return r.error();
  return OkStatus();
}

Result<AuditPage> AuditLog::List(const AuditQuery& q) {
  std::string sql =
      "SELECT id, created_at, actor_id, actor_email, action, target_type, target_id, ip, "
      "user_agent, request_id, summary FROM audit_logs WHERE 1 = 1";
  std::vector<Value> params;
  if (!q.actor_id.empty()) {
    sql += " AND actor_id = ?";
    params.emplace_back(q.actor_id);
  }
  if (!q.action.empty()) {
    sql += " AND action = ?";
    params.emplace_back(q.action);
  }
  if (!q.from.empty()) {
    sql += " AND created_at >= ?";
    params.emplace_back(q.from);
  }
  if (!q.to.empty()) {
    sql += " AND created_at < ?";
    params.emplace_back(q.to);
  }
  auto paged = storage::AppendKeysetPage(sql, params, q.cursor, "created_at", "id", q.limit);
  if (!paged.ok()) return paged.error();

  auto rows = db_.Query(sql, params);
  if (!rows.ok()) return rows.error();
  AuditPage page;
  for (const auto& r : rows->rows) {
    if (static_cast<int>(page.records.size()) == q.limit) {
      const auto& last = page.records.back();
      page.next_cursor = storage::MakeTimeCursor(last.created_at, last.id);
      break;
    }
    AuditRecord rec;
    rec.id = r.GetString(0);
    rec.created_at = r.GetString(1);
    rec.actor = {r.GetString(2), r.GetString(3), r.GetString(7), r.GetString(8), r.GetString(9)};
    rec.entry.action = r.GetString(4);
    rec.entry.target_type = r.GetString(5);
    rec.entry.target_id = r.GetString(6);
    boost::system::error_code ec;
    auto summary = boost::json::parse(r.GetString(10), ec);
    if (!ec && summary.is_object()) rec.entry.summary = std::move(summary.as_object());
    page.records.push_back(std::move(rec));
  }
  return page;
}

}  // namespace studybot::auth
