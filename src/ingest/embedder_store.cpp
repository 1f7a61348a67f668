#include "ingest/embedder_store.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/time.h"
#include "ingest/document_repository.h"

namespace studybot::ingest {
namespace {

using storage::Value;

// Model parts: well under MySQL's default max_allowed_packet (16 MiB on MariaDB 10.11).
constexpr std::size_t kPartBytes = 1 << 20;

std::string Now() {
  return FormatRfc3339Millis(std::chrono::system_clock::now());
}

std::string TextToEmbed(const storage::Row& r, std::size_t title, std::size_t headings,
                        std::size_t text) {
  std::string out = r.GetString(title);
  out += '\n';
  for (const auto& h : StringsFromJson(r.GetString(headings))) {
    out += h;
    out += '\n';
  }
  out += r.GetString(text);
  return out;
}

// Logs a reload of the chatbot (index_changes chunk -1) on `c`.
Result<storage::ExecResult> LogReloadIn(storage::Connection& c, const std::string& chatbot_id) {
  return c.Execute("INSERT INTO index_changes (chatbot_id, chunk_id, created_at) VALUES (?, ?, ?)",
                   {Value(chatbot_id), Value(kReloadChatbot), Value(Now())});
}

std::vector<ChunkToEmbed> ToEmbed(const storage::Rows& rows) {
  std::vector<ChunkToEmbed> out;
  out.reserve(rows.size());
  for (const auto& r : rows.rows)
    out.push_back({r.GetInt(0), r.GetString(1), TextToEmbed(r, 4, 2, 3)});
  return out;
}

}  // namespace

std::string EmbedderSettingsText(const chatbots::EmbedderSettings& s) {
  chatbots::KnowledgeSettings k;
  k.embedder = s;
  return boost::json::serialize(chatbots::KnowledgeJson(k).at("embedder"));
}

chatbots::EmbedderSettings EmbedderSettingsFromText(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return chatbots::KnowledgeFromJson({{"embedder", v}}).embedder;
}

Status EmbedderStore::SaveModel(const ModelInfo& info, const std::string& bytes) {
  auto parts = (bytes.size() + kPartBytes - 1) / kPartBytes;
  auto done = db_.InTransaction<bool>([&](storage::Connection& c) -> Result<bool> {
    auto ins = c.Execute(
        "INSERT INTO embedder_models (id, chatbot_id, trained_chunks, trained_seq, bytes, parts, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        {Value(info.id), Value(info.chatbot_id), Value(info.trained_chunks),
         Value(info.trained_seq), Value(static_cast<int64_t>(bytes.size())),
         Value(static_cast<int64_t>(parts)), Value(Now())});
    if (!ins.ok()) return ins.error();
    for (std::size_t p = 0; p < parts; ++p) {
      auto part =
          c.Execute("INSERT INTO embedder_model_parts (model_id, part, data) VALUES (?, ?, ?)",
                    {Value(info.id), Value(static_cast<int64_t>(p)),
                     Value(bytes.substr(p * kPartBytes, kPartBytes))});
      if (!part.ok()) return part.error();
    }
    return true;
  });
  if (!done.ok()) return done.error();
  return OkStatus();
}

Result<std::optional<std::string>> EmbedderStore::LoadModel(const std::string& id) {
  auto info = FindModel(id);
  if (!info.ok()) return info.error();
  if (!info->has_value()) return std::optional<std::string>();
  std::string bytes;
  int64_t parts = 0;
  // One part at a time: a model of tens of MB never sits twice in a result set.
  for (;; ++parts) {
    auto rows = db_.Query("SELECT data FROM embedder_model_parts WHERE model_id = ? AND part = ?",
                          {Value(id), Value(parts)});
    if (!rows.ok()) return rows.error();
    if (rows->empty()) break;
    bytes += rows->rows[0].GetString(0);
  }
  auto expected = db_.Query("SELECT bytes, parts FROM embedder_models WHERE id = ?", {Value(id)});
  if (!expected.ok()) return expected.error();
  if (expected->empty() || expected->rows[0].GetInt(0) != static_cast<int64_t>(bytes.size()) ||
      expected->rows[0].GetInt(1) != parts) {
    return std::optional<std::string>();  // deleted meanwhile
  }
  return std::optional<std::string>(std::move(bytes));
}

Result<std::optional<ModelInfo>> EmbedderStore::FindModel(const std::string& id) {
  auto rows = db_.Query(
      "SELECT id, chatbot_id, trained_chunks, trained_seq, created_at FROM embedder_models WHERE "
      "id = ?",
      {Value(id)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<ModelInfo>();
  const auto& r = rows->rows[0];
  return std::optional<ModelInfo>(
      ModelInfo{r.GetString(0), r.GetString(1), r.GetInt(2), r.GetInt(3), r.GetString(4)});
}

Status EmbedderStore::DeleteModelsExcept(const std::string& chatbot_id,
                                         const std::vector<std::string>& keep) {
  auto rows = db_.Query("SELECT id FROM embedder_models WHERE chatbot_id = ?", {Value(chatbot_id)});
  if (!rows.ok()) return rows.error();
  for (const auto& r : rows->rows) {
    std::string id = r.GetString(0);
    if (std::find(keep.begin(), keep.end(), id) != keep.end()) continue;
    auto done = db_.InTransaction<bool>([&](storage::Connection& c) -> Result<bool> {
      for (const char* sql : {"DELETE FROM embeddings WHERE embedder = ?",
                              "DELETE FROM embedder_model_parts WHERE model_id = ?",
                              "DELETE FROM embedder_models WHERE id = ?"}) {
        auto del = c.Execute(sql, {Value(id)});
        if (!del.ok()) return del.error();
      }
      return true;
    });
    if (!done.ok()) return done.error();
  }
  return OkStatus();
}

Result<std::optional<EmbedderState>> EmbedderStore::State(const std::string& chatbot_id) {
  auto rows = db_.Query(
      "SELECT embedder_id, embedder_target, active_embedder_settings FROM chatbots WHERE id = ?",
      {Value(chatbot_id)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<EmbedderState>();
  const auto& r = rows->rows[0];
  return std::optional<EmbedderState>(
      EmbedderState{r.GetString(0), r.GetString(1), EmbedderSettingsFromText(r.GetString(2))});
}

Status EmbedderStore::SetTarget(const std::string& chatbot_id, const std::string& target) {
  return db_.Write("UPDATE chatbots SET embedder_target = ? WHERE id = ?",
                   {storage::OrNull(target), Value(chatbot_id)});
}

Status EmbedderStore::ClearTarget(const std::string& chatbot_id, const std::string& target) {
  return db_.Write(
      "UPDATE chatbots SET embedder_target = NULL WHERE id = ? AND embedder_target = ?",
      {Value(chatbot_id), Value(target)});
}

Result<std::vector<ChunkToEmbed>> EmbedderStore::ChunksLacking(const std::string& chatbot_id,
                                                               const std::string& embedder,
                                                               int64_t after_id, int limit) {
  auto rows = db_.Query(
      "SELECT c.id, c.embed_hash, c.heading_path, c.text, d.title FROM chunks c JOIN documents d "
      "ON d.id = c.document_id LEFT JOIN embeddings e ON e.embedder = ? AND e.content_hash = "
      "c.embed_hash WHERE c.chatbot_id = ? AND c.id > ? AND e.content_hash IS NULL ORDER BY c.id "
      "LIMIT ?",
      {Value(embedder), Value(chatbot_id), Value(after_id), Value(int64_t{limit})});
  if (!rows.ok()) return rows.error();
  return ToEmbed(*rows);
}

Result<std::vector<ChunkToEmbed>> EmbedderStore::ChunkTexts(const std::string& chatbot_id,
                                                            int64_t after_id, int limit) {
  auto rows = db_.Query(
      "SELECT c.id, c.embed_hash, c.heading_path, c.text, d.title FROM chunks c JOIN documents d "
      "ON d.id = c.document_id WHERE c.chatbot_id = ? AND c.id > ? ORDER BY c.id LIMIT ?",
      {Value(chatbot_id), Value(after_id), Value(int64_t{limit})});
  if (!rows.ok()) return rows.error();
  return ToEmbed(*rows);
}

Result<int64_t> EmbedderStore::ChunkCount(const std::string& chatbot_id) {
  auto rows = db_.Query("SELECT COUNT(*) FROM chunks WHERE chatbot_id = ?", {Value(chatbot_id)});
  if (!rows.ok()) return rows.error();
  return rows->rows[0].GetInt(0);
}

Result<int64_t> EmbedderStore::ChangesSince(const std::string& chatbot_id, int64_t seq) {
  auto rows = db_.Query("SELECT COUNT(*) FROM index_changes WHERE chatbot_id = ? AND seq > ?",
                        {Value(chatbot_id), Value(seq)});
  if (!rows.ok()) return rows.error();
  return rows->rows[0].GetInt(0);
}

Result<bool> EmbedderStore::Switch(const std::string& chatbot_id, const std::string& target,
                                   const chatbots::EmbedderSettings& settings) {
  return db_.InTransaction<bool>([&](storage::Connection& c) -> Result<bool> {
    // The update comes first: its row lock waits for ingestions that checked the chatbot's
    // embedders (DocumentRepository::ReplaceChunks reads them with a locking read) to commit, so
    // the count below sees their chunks, and later ones see the new embedder.
    auto up = c.Execute(
        "UPDATE chatbots SET embedder_id = ?, embedder_target = NULL, active_embedder_settings = ? "
        "WHERE id = ? AND embedder_target = ?",
        {Value(target), Value(EmbedderSettingsText(settings)), Value(chatbot_id), Value(target)});
    if (!up.ok()) return up.error();
    if (up->affected_rows == 0) return false;
    auto lacking = c.Query(
        "SELECT COUNT(*) FROM chunks c LEFT JOIN embeddings e ON e.embedder = ? AND "
        "e.content_hash = c.embed_hash WHERE c.chatbot_id = ? AND e.content_hash IS NULL",
        {Value(target), Value(chatbot_id)});
    if (!lacking.ok()) return lacking.error();
    if (lacking->rows[0].GetInt(0) != 0)
      return Error::Conflict("chunks still lack vectors");  // rolls back
    auto logged = LogReloadIn(c, chatbot_id);
    if (!logged.ok()) return logged.error();
    return true;
  });
}

Result<bool> EmbedderStore::ClearActive(const std::string& chatbot_id) {
  return db_.InTransaction<bool>([&](storage::Connection& c) -> Result<bool> {
    auto up = c.Execute(
        "UPDATE chatbots SET embedder_id = NULL, embedder_target = NULL, "
        "active_embedder_settings = '{}' WHERE id = ?",
        {Value(chatbot_id)});
    if (!up.ok()) return up.error();
    auto logged = LogReloadIn(c, chatbot_id);
    if (!logged.ok()) return logged.error();
    return true;
  });
}

Status EmbedderStore::LogReload(const std::string& chatbot_id) {
  auto conn = db_.Acquire();
  if (!conn.ok()) return conn.error();
  auto logged = LogReloadIn(**conn, chatbot_id);
  if (!logged.ok()) return logged.error();
  return OkStatus();
}

}  // namespace studybot::ingest
