#include "ingest/document_repository.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/strings.h"
#include "core/time.h"
#include "storage/keyset.h"

namespace studybot::ingest {
namespace {

using storage::OrNull;
using storage::Value;

constexpr const char* kDocColumns =
    "id, chatbot_id, source, page_id, title, url, format, tags, content_hash, status, error, "
    "chunk_count, version, created_by, created_at, updated_at";

Document DocumentFrom(const storage::Row& r) {
  Document d;
  d.id = r.GetString(0);
  d.chatbot_id = r.GetString(1);
  d.source = r.GetString(2);
  d.page_id = r.GetString(3);
  d.title = r.GetString(4);
  d.url = r.GetString(5);
  d.format = r.GetString(6);
  d.tags = StringsFromJson(r.GetString(7));
  d.content_hash = r.GetString(8);
  d.status = r.GetString(9);
  d.error = r.GetString(10);
  d.chunk_count = r.GetInt(11);
  d.version = r.GetInt(12);
  d.created_by = r.GetString(13);
  d.created_at = r.GetString(14);
  d.updated_at = r.GetString(15);
  return d;
}

std::string NowText() {
  return FormatRfc3339Millis(std::chrono::system_clock::now());
}

Status LogChange(storage::Connection& c, const std::string& chatbot_id, int64_t chunk_id) {
  auto r =
      c.Execute("INSERT INTO index_changes (chatbot_id, chunk_id, created_at) VALUES (?, ?, ?)",
                {Value(chatbot_id), Value(chunk_id), Value(NowText())});
  if (!r.ok()) return r.error();
  return OkStatus();
}

std::string Placeholders(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out += i ? ", ?" : "?";
  return out;
}

constexpr const char* kIndexColumns =
    "c.id, c.chatbot_id, c.document_id, d.source, d.url, d.tags, d.title, c.heading_path, c.text, "
    "e.vector, c.anchor, c.page, b.language, b.embedder_id";
// Chunks with their document, their chatbot and the vector of the chatbot's active embedder.
constexpr const char* kIndexFrom =
    " FROM chunks c JOIN documents d ON d.id = c.document_id JOIN chatbots b ON b.id = "
    "c.chatbot_id LEFT JOIN embeddings e ON e.embedder = b.embedder_id AND e.content_hash = "
    "c.embed_hash ";

ChunkForIndex IndexRowFrom(const storage::Row& r) {
  ChunkForIndex c;
  c.id = r.GetInt(0);
  c.chatbot_id = r.GetString(1);
  c.document_id = r.GetString(2);
  c.source = r.GetString(3);
  c.url = r.GetString(4);
  c.tags = StringsFromJson(r.GetString(5));
  c.title = r.GetString(6);
  c.heading_path = StringsFromJson(r.GetString(7));
  c.text = r.GetString(8);
  c.vector = r.GetString(9);
  c.anchor = r.GetString(10);
  c.page = r.GetInt(11);
  c.language = r.GetString(12);
  c.embedder = r.GetString(13);
  return c;
}

}  // namespace

std::string StringsJson(const std::vector<std::string>& v) {
  boost::json::array a;
  for (const auto& s : v)
    a.emplace_back(s);
  return boost::json::serialize(a);
}

std::vector<std::string> StringsFromJson(const std::string& text) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& e : v.as_array()) {
    if (e.is_string()) out.emplace_back(e.as_string());
  }
  return out;
}

Status DocumentRepository::Insert(const Document& d, const std::string& body, jobs::JobQueue& queue,
                                  const jobs::JobSpec& job) {
  auto done = db_.InTransaction<bool>([&](storage::Connection& c) -> Result<bool> {
    auto r = c.Execute(
        "INSERT INTO documents (id, chatbot_id, source, page_id, title, url, format, tags, body, "
        "content_hash, status, chunk_count, version, created_by, created_at, updated_at) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, 1, ?, ?, ?)",
        {Value(d.id), Value(d.chatbot_id), Value(d.source), OrNull(d.page_id), Value(d.title),
         OrNull(d.url), Value(d.format), Value(StringsJson(d.tags)), Value(body),
         Value(d.content_hash), OrNull(d.created_by), Value(d.created_at), Value(d.updated_at)});
    if (!r.ok()) return r.error();
    auto queued = queue.EnqueueIn(c, job);
    if (!queued.ok()) return queued.error();
    return true;
  });
  if (!done.ok()) return done.error();
  return OkStatus();
}

Result<bool> DocumentRepository::Replace(const Document& d, const std::string& body,
                                         jobs::JobQueue& queue, const jobs::JobSpec& job) {
  return db_.InTransaction<bool>([&](storage::Connection& c) -> Result<bool> {
    auto r = c.Execute(
        "UPDATE documents SET title = ?, url = ?, format = ?, tags = ?, body = ?, content_hash = "
        "?, status = 'queued', error = NULL, version = ?, updated_at = ? WHERE id = ? AND "
        "chatbot_id = ?",
        {Value(d.title), OrNull(d.url), Value(d.format), Value(StringsJson(d.tags)), Value(body),
         Value(d.content_hash), Value(d.version), Value(d.updated_at), Value(d.id),
         Value(d.chatbot_id)});
    if (!r.ok()) return r.error();
    if (r->affected_rows != 1) return false;
    auto queued = queue.EnqueueIn(c, job);
    if (!queued.ok()) return queued.error();
    return true;
  });
}

Result<bool> DocumentRepository::Delete(const std::string& chatbot_id, const std::string& id) {
  return db_.InTransaction<bool>([&](storage::Connection& c) -> Result<bool> {
    auto chunks = c.Query("SELECT id FROM chunks WHERE document_id = ?", {Value(id)});
    if (!chunks.ok()) return chunks.error();
    for (const auto& row : chunks->rows) {
      auto logged = LogChange(c, chatbot_id, row.GetInt(0));
      if (!logged.ok()) return logged.error();
    }
    auto del = c.Execute("DELETE FROM chunks WHERE document_id = ?", {Value(id)});
    if (!del.ok()) return del.error();
    auto r = c.Execute("DELETE FROM documents WHERE id = ? AND chatbot_id = ?",
                       {Value(id), Value(chatbot_id)});
    if (!r.ok()) return r.error();
    return r->affected_rows == 1;
  });
}

Result<std::optional<Document>> DocumentRepository::Find(const std::string& chatbot_id,
                                                         const std::string& id) {
  auto rows = db_.Query(
      std::string("SELECT ") + kDocColumns + " FROM documents WHERE id = ? AND chatbot_id = ?",
      {Value(id), Value(chatbot_id)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<Document>();
  return std::optional<Document>(DocumentFrom(rows->rows[0]));
}

Result<std::optional<std::pair<Document, std::string>>> DocumentRepository::FindWithBody(
    const std::string& id) {
  auto rows = db_.Query(std::string("SELECT ") + kDocColumns + ", body FROM documents WHERE id = ?",
                        {Value(id)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<std::pair<Document, std::string>>();
  const auto& r = rows->rows[0];
  return std::optional<std::pair<Document, std::string>>(
      std::pair{DocumentFrom(r), r.GetString(16)});
}

Result<std::optional<Document>> DocumentRepository::FindByPage(const std::string& page_id) {
  auto rows = db_.Query(std::string("SELECT ") + kDocColumns + " FROM documents WHERE page_id = ?",
                        {Value(page_id)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<Document>();
  return std::optional<Document>(DocumentFrom(rows->rows[0]));
}

Result<std::optional<Document>> DocumentRepository::FindCrawled(const std::string& chatbot_id,
                                                                const std::string& url) {
  auto rows = db_.Query(std::string("SELECT ") + kDocColumns +
                            " FROM documents WHERE chatbot_id = ? AND source = 'crawl' AND url = ?",
                        {Value(chatbot_id), Value(url)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<Document>();
  return std::optional<Document>(DocumentFrom(rows->rows[0]));
}

Result<std::vector<std::string>> DocumentRepository::CrawledUnder(const std::string& chatbot_id,
                                                                  const std::string& url_prefix) {
  // A range on the text instead of LIKE: URLs may hold '%' and '_'.
  std::string upper = url_prefix;
  if (!upper.empty()) upper.back() = static_cast<char>(upper.back() + 1);
  auto rows = db_.Query(
      "SELECT id FROM documents WHERE chatbot_id = ? AND source = 'crawl' AND url >= ? AND url < ?",
      {Value(chatbot_id), Value(url_prefix), Value(upper)});
  if (!rows.ok()) return rows.error();
  std::vector<std::string> out;
  for (const auto& r : rows->rows)
    out.push_back(r.GetString(0));
  return out;
}

Result<DocumentPage> DocumentRepository::List(const DocumentQuery& q) {
  std::string sql = std::string("SELECT ") + kDocColumns + " FROM documents WHERE chatbot_id = ?";
  std::vector<Value> params{Value(q.chatbot_id)};
  if (!q.status.empty()) {
    sql += " AND status = ?";
    params.emplace_back(q.status);
  }
  if (!q.source.empty()) {
    sql += " AND source = ?";
    params.emplace_back(q.source);
  }
  auto paged = storage::AppendKeysetPage(sql, params, q.cursor, "created_at", "id", q.limit);
  if (!paged.ok()) return paged.error();
  auto rows = db_.Query(sql, params);
  if (!rows.ok()) return rows.error();
  DocumentPage page;
  for (const auto& r : rows->rows) {
    if (static_cast<int>(page.items.size()) == q.limit) {
      const auto& last = page.items.back();
      page.next_cursor = storage::MakeTimeCursor(last.created_at, last.id);
      break;
    }
    page.items.push_back(DocumentFrom(r));
  }
  return page;
}

Result<std::vector<StoredChunk>> DocumentRepository::Chunks(const std::string& document_id) {
  auto rows = db_.Query(
      "SELECT id, document_id, position, text, heading_path, anchor, page, token_count, "
      "content_hash FROM chunks WHERE document_id = ? ORDER BY position, id",
      {Value(document_id)});
  if (!rows.ok()) return rows.error();
  std::vector<StoredChunk> out;
  for (const auto& r : rows->rows) {
    StoredChunk c;
    c.id = r.GetInt(0);
    c.document_id = r.GetString(1);
    c.position = r.GetInt(2);
    c.text = r.GetString(3);
    c.heading_path = StringsFromJson(r.GetString(4));
    c.anchor = r.GetString(5);
    c.page = r.GetInt(6);
    c.token_count = r.GetInt(7);
    c.content_hash = r.GetString(8);
    out.push_back(std::move(c));
  }
  return out;
}

Result<bool> DocumentRepository::SetStatus(const std::string& id, int64_t version,
                                           const std::string& status, const std::string& error) {
  auto r = db_.Execute("UPDATE documents SET status = ?, error = ? WHERE id = ? AND version = ?",
                       {Value(status), OrNull(CleanUtf8(error, 1000)), Value(id), Value(version)});
  if (!r.ok()) return r.error();
  return r->affected_rows == 1;
}

Result<std::vector<std::string>> DocumentRepository::CachedVectors(
    const std::string& embedder, const std::vector<std::string>& hashes) {
  std::vector<std::string> out(hashes.size());
  auto conn = db_.Acquire();
  if (!conn.ok()) return conn.error();
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    auto rows =
        (*conn)->Query("SELECT vector FROM embeddings WHERE embedder = ? AND content_hash = ?",
                       {Value(embedder), Value(hashes[i])});
    if (!rows.ok()) return rows.error();
    if (!rows->empty()) out[i] = rows->rows[0].GetString(0);
  }
  return out;
}

Status DocumentRepository::CacheVector(const std::string& embedder, const std::string& hash,
                                       const std::string& vector) {
  auto r = db_.Execute(
      "INSERT INTO embeddings (embedder, content_hash, vector, created_at) VALUES (?, ?, ?, ?)",
      {Value(embedder), Value(hash), Value(vector), Value(NowText())});
  // Another worker cached the same text first: the vectors are the same.
  if (!r.ok() && r.error().code != ErrorCode::kConflict) return r.error();
  return OkStatus();
}

Result<std::optional<ReplaceOutcome>> DocumentRepository::ReplaceChunks(
    const Document& doc, const std::vector<ChunkRow>& chunks,
    const std::vector<std::string>& embedded_with) {
  return db_.InTransaction<
      std::optional<ReplaceOutcome>>([&](storage::Connection& c)
                                         -> Result<std::optional<ReplaceOutcome>> {
    // The version check and the lock on the document row: a newer replace waits for us,
    // or we see its version and leave the work to its job.
    auto current =
        c.Execute("UPDATE documents SET status = 'processing' WHERE id = ? AND version = ?",
                  {Value(doc.id), Value(doc.version)});
    if (!current.ok()) return current.error();
    if (current->affected_rows != 1) return std::optional<ReplaceOutcome>();
    // A locking read on MySQL: an embedder switch (EmbedderStore::Switch) waits for this
    // transaction, or this one sees the switch.
    auto embedders = c.Query(
        c.dialect() == storage::Dialect::kMysql
            ? "SELECT embedder_id, embedder_target FROM chatbots WHERE id = ? LOCK IN SHARE MODE"
            : "SELECT embedder_id, embedder_target FROM chatbots WHERE id = ?",
        {Value(doc.chatbot_id)});
    if (!embedders.ok()) return embedders.error();
    if (embedders->empty()) return std::optional<ReplaceOutcome>();  // chatbot gone
    for (std::size_t i = 0; i < 2; ++i) {
      std::string e = embedders->rows[0].GetString(i);
      if (!e.empty() &&
          std::find(embedded_with.begin(), embedded_with.end(), e) == embedded_with.end()) {
        return Error::Unavailable("the chatbot's embedder changed during ingestion; retrying");
      }
    }

    auto existing =
        c.Query("SELECT id, content_hash FROM chunks WHERE document_id = ?", {Value(doc.id)});
    if (!existing.ok()) return existing.error();
    std::unordered_map<std::string, int64_t> kept_ids;
    for (const auto& r : existing->rows)
      kept_ids.emplace(r.GetString(1), r.GetInt(0));

    ReplaceOutcome out;
    std::unordered_set<std::string> wanted;
    std::string now = NowText();
    for (const auto& ch : chunks) {
      if (!wanted.insert(ch.content_hash).second) {
        ++out.duplicates;  // the same text twice in this document
        continue;
      }
      auto it = kept_ids.find(ch.content_hash);
      if (it != kept_ids.end()) {
        auto up = c.Execute(
            "UPDATE chunks SET position = ?, heading_path = ?, anchor = ?, page = ?, "
            "token_count = ?, embed_hash = ? WHERE id = ?",
            {Value(ch.position), Value(StringsJson(ch.heading_path)), OrNull(ch.anchor),
             Value(ch.page), Value(ch.token_count), Value(ch.embed_hash), Value(it->second)});
        if (!up.ok()) return up.error();
        auto logged = LogChange(c, doc.chatbot_id, it->second);
        if (!logged.ok()) return logged.error();
        ++out.kept;
        continue;
      }
      auto elsewhere = c.Query("SELECT id FROM chunks WHERE chatbot_id = ? AND content_hash = ?",
                               {Value(doc.chatbot_id), Value(ch.content_hash)});
      if (!elsewhere.ok()) return elsewhere.error();
      if (!elsewhere->empty()) {
        ++out.duplicates;
        continue;
      }
      auto ins = c.Execute(
          "INSERT INTO chunks (chatbot_id, document_id, position, text, heading_path, anchor, "
          "page, token_count, content_hash, embed_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
          "?, ?, ?, ?)",
          {Value(doc.chatbot_id), Value(doc.id), Value(ch.position), Value(ch.text),
           Value(StringsJson(ch.heading_path)), OrNull(ch.anchor), Value(ch.page),
           Value(ch.token_count), Value(ch.content_hash), Value(ch.embed_hash), Value(now)});
      if (!ins.ok()) return ins.error();
      auto logged = LogChange(c, doc.chatbot_id, ins->last_insert_id);
      if (!logged.ok()) return logged.error();
      ++out.added;
    }
    for (const auto& [hash, id] : kept_ids) {
      if (wanted.count(hash)) continue;
      auto del = c.Execute("DELETE FROM chunks WHERE id = ?", {Value(id)});
      if (!del.ok()) return del.error();
      auto logged = LogChange(c, doc.chatbot_id, id);
      if (!logged.ok()) return logged.error();
      ++out.removed;
    }
    out.stored = out.added + out.kept;
    auto ready = c.Execute(
        "UPDATE documents SET status = 'ready', error = NULL, chunk_count = ? WHERE id = ? "
        "AND version = ?",
        {Value(out.stored), Value(doc.id), Value(doc.version)});
    if (!ready.ok()) return ready.error();
    return std::optional<ReplaceOutcome>(out);
  });
}

Result<std::vector<std::string>> DocumentRepository::StoredElsewhere(
    const std::string& chatbot_id, const std::string& document_id,
    const std::vector<std::string>& content_hashes) {
  std::vector<std::string> out;
  // In slices: a large document's hashes would exceed the databases' bound-parameter limits.
  constexpr std::size_t kSlice = 500;
  for (std::size_t start = 0; start < content_hashes.size(); start += kSlice) {
    std::size_t n = std::min(kSlice, content_hashes.size() - start);
    std::vector<Value> params{Value(chatbot_id), Value(document_id)};
    for (std::size_t i = 0; i < n; ++i)
      params.emplace_back(content_hashes[start + i]);
    auto rows = db_.Query(
        "SELECT content_hash FROM chunks WHERE chatbot_id = ? AND document_id <> ? AND "
        "content_hash IN (" +
            Placeholders(n) + ")",
        params);
    if (!rows.ok()) return rows.error();
    for (const auto& row : rows->rows)
      out.push_back(row.GetString(0));
  }
  return out;
}

Result<std::vector<DocumentRepository::Change>> DocumentRepository::ChangesAfter(int64_t seq,
                                                                                 int limit) {
  auto rows = db_.Query(
      "SELECT seq, chatbot_id, chunk_id FROM index_changes WHERE seq > ? ORDER BY seq LIMIT ?",
      {Value(seq), Value(static_cast<int64_t>(limit))});
  if (!rows.ok()) return rows.error();
  std::vector<Change> out;
  for (const auto& r : rows->rows)
    out.push_back({r.GetInt(0), r.GetString(1), r.GetInt(2)});
  return out;
}

Result<int64_t> DocumentRepository::LastChangeSeq() {
  auto rows = db_.Query("SELECT COALESCE(MAX(seq), 0) FROM index_changes");
  if (!rows.ok()) return rows.error();
  return rows->rows[0].GetInt(0);
}

Status DocumentRepository::LogChatbotDropped(const std::string& chatbot_id) {
  return db_.Write("INSERT INTO index_changes (chatbot_id, chunk_id, created_at) VALUES (?, 0, ?)",
                   {Value(chatbot_id), Value(NowText())});
}

Result<std::vector<ChunkForIndex>> DocumentRepository::ChunksForIndex(
    const std::vector<int64_t>& ids) {
  std::vector<ChunkForIndex> out;
  if (ids.empty()) return out;
  std::vector<Value> params;
  for (int64_t id : ids)
    params.emplace_back(id);
  auto rows = db_.Query(std::string("SELECT ") + kIndexColumns + kIndexFrom + "WHERE c.id IN (" +
                            Placeholders(ids.size()) + ")",
                        params);
  if (!rows.ok()) return rows.error();
  for (const auto& r : rows->rows)
    out.push_back(IndexRowFrom(r));
  return out;
}

Result<std::vector<ChunkForIndex>> DocumentRepository::ChatbotChunksForIndex(
    const std::string& chatbot_id, int64_t after_id, int limit) {
  auto rows = db_.Query(std::string("SELECT ") + kIndexColumns + kIndexFrom +
                            "WHERE c.chatbot_id = ? AND c.id > ? ORDER BY c.id LIMIT ?",
                        {Value(chatbot_id), Value(after_id), Value(static_cast<int64_t>(limit))});
  if (!rows.ok()) return rows.error();
  std::vector<ChunkForIndex> out;
  for (const auto& r : rows->rows)
    out.push_back(IndexRowFrom(r));
  return out;
}

Result<std::vector<ChatbotIndexRow>> DocumentRepository::ChatbotIndexRows() {
  auto rows = db_.Query("SELECT id, language, embedder_id FROM chatbots ORDER BY id");
  if (!rows.ok()) return rows.error();
  std::vector<ChatbotIndexRow> out;
  for (const auto& r : rows->rows)
    out.push_back({r.GetString(0), r.GetString(1), r.GetString(2)});
  return out;
}

Result<std::optional<ChatbotIndexRow>> DocumentRepository::ChatbotIndexRowOf(
    const std::string& id) {
  auto rows = db_.Query("SELECT id, language, embedder_id FROM chatbots WHERE id = ?", {Value(id)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<ChatbotIndexRow>();
  const auto& r = rows->rows[0];
  return std::optional<ChatbotIndexRow>(
      ChatbotIndexRow{r.GetString(0), r.GetString(1), r.GetString(2)});
}

}  // namespace studybot::ingest
