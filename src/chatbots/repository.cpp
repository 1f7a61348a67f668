#include "chatbots/repository.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/time.h"

namespace studybot::chatbots {
namespace {

using storage::Value;

constexpr const char* kColumns =
    "c.id, c.name, c.description, c.status, c.system_prompt, c.model, c.allowed_domains, "
    "c.widget_settings, c.created_by, c.created_at, c.updated_at, c.knowledge_settings, "
    "c.embedder_id, c.embedder_target, c.answer_settings";

std::string DomainsText(const std::vector<std::string>& domains) {
  boost::json::array a;
  for (const auto& d : domains)
    a.emplace_back(d);
  return boost::json::serialize(a);
}

Chatbot FromRow(const storage::Row& r) {
  Chatbot b;
  b.id = r.GetString(0);
  b.name = r.GetString(1);
  b.description = r.GetString(2);
  b.status = r.GetString(3);
  b.system_prompt = r.GetString(4);
  b.model = r.GetString(5);
  boost::system::error_code ec;
  auto domains = boost::json::parse(r.GetString(6), ec);
  if (!ec && domains.is_array()) {
    for (const auto& d : domains.as_array()) {
      if (d.is_string()) b.allowed_domains.emplace_back(d.as_string());
    }
  }
  auto widget = boost::json::parse(r.GetString(7), ec);
  if (!ec && widget.is_object()) b.widget = std::move(widget.as_object());
  b.created_by = r.GetString(8);
  b.created_at = r.GetString(9);
  b.updated_at = r.GetString(10);
  auto knowledge = boost::json::parse(r.GetString(11), ec);
  if (!ec && knowledge.is_object()) b.knowledge = KnowledgeFromJson(knowledge.as_object());
  b.embedder_id = r.GetString(12);
  b.embedder_target = r.GetString(13);
  auto answers = boost::json::parse(r.IsNull(14) ? "{}" : r.GetString(14), ec);
  if (!ec && answers.is_object()) b.answers = AnswerFromJson(answers.as_object());
  return b;
}

}  // namespace

Status ChatbotRepository::Insert(const Chatbot& b) {
  auto r = db_.Execute(
      "INSERT INTO chatbots (id, name, description, status, system_prompt, model, "
      "allowed_domains, widget_settings, created_by, created_at, updated_at, knowledge_settings, "
      "language, answer_settings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {Value(b.id), Value(b.name), Value(b.description), Value(b.status), Value(b.system_prompt),
       Value(b.model), Value(DomainsText(b.allowed_domains)),
       Value(boost::json::serialize(b.widget)),
       b.created_by.empty() ? Value() : Value(b.created_by), Value(b.created_at),
       Value(b.updated_at), Value(boost::json::serialize(KnowledgeJson(b.knowledge))),
       Value(b.knowledge.language), Value(boost::json::serialize(AnswerJson(b.answers)))});
  if (!r.ok()) return r.error();
  return OkStatus();
}

Result<std::optional<Chatbot>> ChatbotRepository::FindById(const std::string& id) {
  auto conn = db_.Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(std::string("SELECT ") + kColumns + " FROM chatbots c WHERE c.id = ?",
                             {Value(id)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<Chatbot>();
  Chatbot b = FromRow(rows->rows[0]);
  auto limits = (*conn)->Query(
      "SELECT scope, rate, period_ms, burst FROM chatbot_rate_limits WHERE chatbot_id = ?",
      {Value(id)});
  if (!limits.ok()) return limits.error();
  for (const auto& r : limits->rows) {
    b.rate_limits[r.GetString(0)] = {r.GetInt(1), r.GetInt(2), r.GetInt(3)};
  }
  return std::optional<Chatbot>(std::move(b));
}

Status ChatbotRepository::SetRateLimits(const std::string& id,
                                        const std::map<std::string, RateOverride>& limits) {
  auto done = db_.InTransaction<bool>([&](storage::Connection& c) -> Result<bool> {
    auto del = c.Execute("DELETE FROM chatbot_rate_limits WHERE chatbot_id = ?", {Value(id)});
    if (!del.ok()) return del.error();
    for (const auto& [scope, l] : limits) {
      auto ins = c.Execute(
          "INSERT INTO chatbot_rate_limits (chatbot_id, scope, rate, period_ms, burst) VALUES (?, "
          "?, ?, ?, ?)",
          {Value(id), Value(scope), Value(l.rate), Value(l.period_ms), Value(l.burst)});
      if (!ins.ok()) return ins.error();
    }
    return true;
  });
  if (!done.ok()) return done.error();
  return OkStatus();
}

Result<std::vector<Chatbot>> ChatbotRepository::List(int limit, const std::string& after,
                                                     const std::optional<std::string>& member) {
  auto conn = db_.Acquire();
  if (!conn.ok()) return conn.error();
  Result<storage::Rows> rows =
      member ? (*conn)->Query(std::string("SELECT ") + kColumns +
                                  " FROM chatbots c JOIN chatbot_members m ON m.chatbot_id = c.id "
                                  "WHERE m.user_id = ? AND c.id > ? ORDER BY c.id LIMIT ?",
                              {Value(*member), Value(after), Value(int64_t{limit})})
             : (*conn)->Query(std::string("SELECT ") + kColumns +
                                  " FROM chatbots c WHERE c.id > ? ORDER BY c.id LIMIT ?",
                              {Value(after), Value(int64_t{limit})});
  if (!rows.ok()) return rows.error();
  std::vector<Chatbot> out;
  for (const auto& r : rows->rows)
    out.push_back(FromRow(r));
  return out;
}

Status ChatbotRepository::Update(const Chatbot& b) {
  auto r = db_.Execute(
      "UPDATE chatbots SET name = ?, description = ?, status = ?, system_prompt = ?, model = ?, "
      "allowed_domains = ?, widget_settings = ?, updated_at = ?, knowledge_settings = ?, "
      "language = ?, answer_settings = ? WHERE id = ?",
      {Value(b.name), Value(b.description), Value(b.status), Value(b.system_prompt), Value(b.model),
       Value(DomainsText(b.allowed_domains)), Value(boost::json::serialize(b.widget)),
       Value(b.updated_at), Value(boost::json::serialize(KnowledgeJson(b.knowledge))),
       Value(b.knowledge.language), Value(boost::json::serialize(AnswerJson(b.answers))),
       Value(b.id)});
  if (!r.ok()) return r.error();
  if (r->affected_rows == 0) return Error::NotFound("no such chatbot");
  return OkStatus();
}

Status ChatbotRepository::Delete(const std::string& id) {
  auto done = db_.InTransaction<bool>([&](storage::Connection& c) -> Result<bool> {
    auto r = c.Execute("DELETE FROM chatbots WHERE id = ?", {Value(id)});
    if (!r.ok()) return r.error();
    if (r->affected_rows == 0) return Error::NotFound("no such chatbot");
    // Its chunks go by cascade, which no trigger sees on MySQL: tell the search indexes (see
    // ingest/index_follower.h; chunk 0 means "all of the chatbot").
    auto logged =
        c.Execute("INSERT INTO index_changes (chatbot_id, chunk_id, created_at) VALUES (?, 0, ?)",
                  {Value(id), Value(FormatRfc3339Millis(std::chrono::system_clock::now()))});
    if (!logged.ok()) return logged.error();
    return true;
  });
  if (!done.ok()) return done.error();
  return OkStatus();
}

}  // namespace studybot::chatbots
