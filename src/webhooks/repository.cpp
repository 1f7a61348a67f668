#include "webhooks/repository.h"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace studybot::webhooks {
namespace {

using storage::Value;

constexpr const char* kColumns =
    "id, chatbot_id, url, events, secret_hint, is_active, created_by, created_at, updated_at";
constexpr const char* kDeliveryColumns =
    "id, webhook_id, event, payload, status, attempts, next_attempt_at, response_status, "
    "last_error, created_at, delivered_at";

std::string EventsText(const std::vector<std::string>& events) {
  boost::json::array a;
  for (const auto& e : events)
    a.emplace_back(e);
  return boost::json::serialize(a);
}

Webhook FromRow(const storage::Row& r) {
  Webhook w;
  w.id = r.GetString(0);
  w.chatbot_id = r.GetString(1);
  w.url = r.GetString(2);
  boost::system::error_code ec;
  auto events = boost::json::parse(r.GetString(3), ec);
  if (!ec && events.is_array()) {
    for (const auto& e : events.as_array())
      if (e.is_string()) w.events.emplace_back(e.as_string());
  }
  w.secret_hint = r.GetString(4);
  w.active = r.GetInt(5) != 0;
  w.created_by = r.GetString(6);
  w.created_at = r.GetString(7);
  w.updated_at = r.GetString(8);
  return w;
}

Delivery DeliveryFromRow(const storage::Row& r, std::size_t at = 0) {
  Delivery d;
  d.id = r.GetString(at + 0);
  d.webhook_id = r.GetString(at + 1);
  d.event = r.GetString(at + 2);
  d.payload = r.GetString(at + 3);
  d.status = r.GetString(at + 4);
  d.attempts = r.GetInt(at + 5);
  d.next_attempt_at = r.GetString(at + 6);
  if (!r.IsNull(at + 7)) d.response_status = r.GetInt(at + 7);
  d.last_error = r.GetString(at + 8);
  d.created_at = r.GetString(at + 9);
  d.delivered_at = r.GetString(at + 10);
  return d;
}

}  // namespace

bool Webhook::Wants(const std::string& event) const {
  return std::any_of(events.begin(), events.end(),
                     [&](const std::string& e) { return e == "*" || e == event; });
}

Status WebhookRepository::Insert(const Webhook& w, const std::string& sealed) {
  return db_.Write(
      "INSERT INTO webhooks (id, chatbot_id, url, events, secret_sealed, secret_hint, is_active, "
      "created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {Value(w.id), Value(w.chatbot_id), Value(w.url), Value(EventsText(w.events)), Value(sealed),
       Value(w.secret_hint), Value(int64_t{w.active ? 1 : 0}), storage::OrNull(w.created_by),
       Value(w.created_at), Value(w.updated_at)});
}

Result<std::vector<Webhook>> WebhookRepository::List(const std::string& chatbot_id) {
  auto rows = db_.Query(std::string("SELECT ") + kColumns +
                            " FROM webhooks WHERE chatbot_id = ? ORDER BY created_at, id",
                        {Value(chatbot_id)});
  if (!rows.ok()) return rows.error();
  std::vector<Webhook> out;
  for (const auto& r : rows->rows)
    out.push_back(FromRow(r));
  return out;
}

Result<std::optional<Webhook>> WebhookRepository::Find(const std::string& chatbot_id,
                                                       const std::string& id) {
  auto rows = db_.Query(
      std::string("SELECT ") + kColumns + " FROM webhooks WHERE chatbot_id = ? AND id = ?",
      {Value(chatbot_id), Value(id)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<Webhook>();
  return std::optional<Webhook>(FromRow(rows->rows[0]));
}

Status WebhookRepository::Update(const Webhook& w) {
  auto r = db_.Execute(
      "UPDATE webhooks SET url = ?, events = ?, is_active = ?, updated_at = ? WHERE id = ? AND "
      "chatbot_id = ?",
      {Value(w.url), Value(EventsText(w.events)), Value(int64_t{w.active ? 1 : 0}),
       Value(w.updated_at), Value(w.id), Value(w.chatbot_id)});
  if (!r.ok()) return r.error();
  if (r->affected_rows == 0) return Error::NotFound("no such webhook");
  return OkStatus();
}

Status WebhookRepository::SetSecret(const std::string& id, const std::string& sealed,
                                    const std::string& hint, const std::string& updated_at) {
  auto r = db_.Execute(
      "UPDATE webhooks SET secret_sealed = ?, secret_hint = ?, updated_at = ? WHERE id = ?",
      {Value(sealed), Value(hint), Value(updated_at), Value(id)});
  if (!r.ok()) return r.error();
  if (r->affected_rows == 0) return Error::NotFound("no such webhook");
  return OkStatus();
}

Status WebhookRepository::Delete(const std::string& chatbot_id, const std::string& id) {
  auto r = db_.Execute("DELETE FROM webhooks WHERE chatbot_id = ? AND id = ?",
                       {Value(chatbot_id), Value(id)});
  if (!r.ok()) return r.error();
  if (r->affected_rows == 0) return Error::NotFound("no such webhook");
  return OkStatus();
}

Status WebhookRepository::InsertDelivery(const Delivery& d) {
  return db_.Write(
      "INSERT INTO webhook_deliveries (id, webhook_id, event, payload, status, attempts, "
      "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {Value(d.id), Value(d.webhook_id), Value(d.event), Value(d.payload), Value(d.status),
       Value(d.attempts), Value(d.next_attempt_at), Value(d.created_at)});
}

Result<std::vector<DueDelivery>> WebhookRepository::ClaimDue(const std::string& now,
                                                             const std::string& lease_until,
                                                             int limit) {
  auto conn = db_.Acquire();
  if (!conn.ok()) return conn.error();
  // Deliveries of a webhook switched off wait (they go out if it is switched on again); test
  // deliveries go out anyway.
  auto rows = (*conn)->Query(
      "SELECT d.id, d.webhook_id, d.event, d.payload, d.status, d.attempts, d.next_attempt_at, "
      "d.response_status, d.last_error, d.created_at, d.delivered_at, w.url, w.secret_sealed "
      "FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.status = "
      "'pending' AND d.next_attempt_at <= ? AND (w.is_active = 1 OR d.event = 'webhook.test') "
      "ORDER BY d.next_attempt_at LIMIT ?",
      {Value(now), Value(int64_t{limit})});
  if (!rows.ok()) return rows.error();
  std::vector<DueDelivery> out;
  for (const auto& r : rows->rows) {
    DueDelivery due{DeliveryFromRow(r), r.GetString(11), r.GetString(12)};
    // The claim succeeds only for the deliverer that still sees the time it read.
    auto claimed = (*conn)->Execute(
        "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ? AND status = 'pending' "
        "AND next_attempt_at = ?",
        {Value(lease_until), Value(due.delivery.id), Value(due.delivery.next_attempt_at)});
    if (!claimed.ok()) return claimed.error();
    if (claimed->affected_rows == 1) out.push_back(std::move(due));
  }
  return out;
}

Status WebhookRepository::SaveAttempt(const Delivery& d) {
  return db_.Write(
      "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, "
      "response_status = ?, last_error = ?, delivered_at = ? WHERE id = ?",
      {Value(d.status), Value(d.attempts), Value(d.next_attempt_at),
       d.response_status ? Value(*d.response_status) : Value(), storage::OrNull(d.last_error),
       storage::OrNull(d.delivered_at), Value(d.id)});
}

Result<std::vector<Delivery>> WebhookRepository::ListDeliveries(const std::string& webhook_id,
                                                                int limit) {
  auto rows = db_.Query(std::string("SELECT ") + kDeliveryColumns +
                            " FROM webhook_deliveries WHERE webhook_id = ? ORDER BY created_at "
                            "DESC, id DESC LIMIT ?",
                        {Value(webhook_id), Value(int64_t{limit})});
  if (!rows.ok()) return rows.error();
  std::vector<Delivery> out;
  for (const auto& r : rows->rows)
    out.push_back(DeliveryFromRow(r));
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> WebhookRepository::SealedSecrets() {
  auto rows = db_.Query("SELECT id, secret_sealed FROM webhooks");
  if (!rows.ok()) return rows.error();
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : rows->rows)
    out.emplace_back(r.GetString(0), r.GetString(1));
  return out;
}

Result<int64_t> WebhookRepository::ReplaceSealed(const std::string& id,
                                                 const std::string& old_sealed,
                                                 const std::string& new_sealed) {
  auto r = db_.Execute("UPDATE webhooks SET secret_sealed = ? WHERE id = ? AND secret_sealed = ?",
                       {Value(new_sealed), Value(id), Value(old_sealed)});
  if (!r.ok()) return r.error();
  return r->affected_rows;
}

}  // namespace studybot::webhooks
