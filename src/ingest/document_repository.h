// DocumentRepository: the SQL of documents, their chunks, the embedding cache and the index
// change log. Every write that changes which chunks exist also appends to index_changes in the
// same transaction, so the search indexes can follow. Blocking; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "jobs/job_queue.h"
#include "storage/database.h"

namespace studybot::ingest {

struct Document {
  std::string id;
  std::string chatbot_id;
  std::string source = "upload";  // upload | crawl
  std::string page_id;            // crawl: the scraped_content row
  std::string title;
  std::string url;
  std::string format;  // text | markdown | html | pdf
  std::vector<std::string> tags;
  std::string content_hash;
  std::string status = "queued";  // queued | processing | ready | failed
  std::string error;
  int64_t chunk_count = 0;
  int64_t version = 1;
  std::string created_by;
  std::string created_at;
  std::string updated_at;
};

struct StoredChunk {
  int64_t id = 0;
  std::string document_id;
  int64_t position = 0;
  std::string text;
  std::vector<std::string> heading_path;
  std::string anchor;
  int64_t page = 0;
  int64_t token_count = 0;
  std::string content_hash;
};

// A chunk as the pipeline wants it stored.
struct ChunkRow {
  int64_t position = 0;
  std::string text;
  std::vector<std::string> heading_path;
  std::string anchor;
  int64_t page = 0;
  int64_t token_count = 0;
  std::string content_hash;  // of the heading path and text: duplicates are found by it
  std::string embed_hash;    // of what is embedded (title, heading path, text): the cache key
};

struct DocumentQuery {
  std::string chatbot_id;
  std::string status;  // "" for any
  std::string source;  // "" for any
  int limit = 50;
  std::string cursor;
};

struct DocumentPage {
  std::vector<Document> items;
  std::string next_cursor;
};

// What the index needs of a chunk, read with its document and its vector.
struct ChunkForIndex {
  int64_t id = 0;
  std::string chatbot_id;
  std::string document_id;
  std::string source;
  std::string url;
  std::vector<std::string> tags;
  std::string title;
  std::vector<std::string> heading_path;
  std::string text;
  std::string vector;  // float32 little-endian bytes; "" when not embedded yet
  std::string anchor;
  int64_t page = 0;
  std::string language;  // the chatbot's (en, fr, auto)
  std::string embedder;  // the chatbot's active embedder, whose vector this is ("" for none)
};

// How a chatbot's chunks are to be indexed, as the database says.
struct ChatbotIndexRow {
  std::string id;
  std::string language;
  std::string embedder;
};

struct ReplaceOutcome {
  int64_t stored = 0;      // chunks of the document after the change
  int64_t added = 0;       // new rows
  int64_t kept = 0;        // unchanged rows (same text)
  int64_t removed = 0;     // rows gone
  int64_t duplicates = 0;  // chunks already stored for another document of the chatbot
};

class DocumentRepository {
 public:
  explicit DocumentRepository(storage::Database& db) : db_(db) {}

  // Inserts the document with its content and queues `job`, atomically.
  Status Insert(const Document& doc, const std::string& body, jobs::JobQueue& queue,
                const jobs::JobSpec& job);
  // Replaces title/url/format/tags/body, bumps the version, queues `job`. False when absent.
  Result<bool> Replace(const Document& doc, const std::string& body, jobs::JobQueue& queue,
                       const jobs::JobSpec& job);
  // Deletes the document and its chunks, logging their removal. False when absent.
  Result<bool> Delete(const std::string& chatbot_id, const std::string& id);

  Result<std::optional<Document>> Find(const std::string& chatbot_id, const std::string& id);
  // The document and its content (for the pipeline).
  Result<std::optional<std::pair<Document, std::string>>> FindWithBody(const std::string& id);
  Result<DocumentPage> List(const DocumentQuery& q);
  // Crawled pages' documents: by page, by URL, and the ids of those under a URL prefix.
  Result<std::optional<Document>> FindByPage(const std::string& page_id);
  Result<std::optional<Document>> FindCrawled(const std::string& chatbot_id,
                                              const std::string& url);
  Result<std::vector<std::string>> CrawledUnder(const std::string& chatbot_id,
                                                const std::string& url_prefix);
  Result<std::vector<StoredChunk>> Chunks(const std::string& document_id);

  // Sets the status (and error) of `version` of the document; false when it has moved on.
  Result<bool> SetStatus(const std::string& id, int64_t version, const std::string& status,
                         const std::string& error);

  // Cached vectors by content hash for `embedder` ("" where absent), in order.
  Result<std::vector<std::string>> CachedVectors(const std::string& embedder,
                                                 const std::vector<std::string>& hashes);
  Status CacheVector(const std::string& embedder, const std::string& hash,
                     const std::string& vector);
  // Which of `content_hashes` the chatbot already has in documents other than `document_id`
  // (those chunks will not be stored for it, so need no embedding).
  Result<std::vector<std::string>> StoredElsewhere(const std::string& chatbot_id,
                                                   const std::string& document_id,
                                                   const std::vector<std::string>& content_hashes);

  // Makes `chunks` the chunks of `version` of the document, in one transaction: unchanged texts
  // keep their rows (and ids), others are added or removed; a chunk whose text another document
  // of the chatbot already has is not stored again. Marks the document ready. nullopt when the
  // document is gone or at another version (a newer job will do it). `embedded_with` are the
  // embedders whose vectors the chunks have: kUnavailable (retry) when the chatbot's active or
  // target embedder is not among them (a re-index started meanwhile).
  Result<std::optional<ReplaceOutcome>> ReplaceChunks(
      const Document& doc, const std::vector<ChunkRow>& chunks,
      const std::vector<std::string>& embedded_with);

  // The change log.
  struct Change {
    int64_t seq = 0;
    std::string chatbot_id;
    int64_t chunk_id = 0;  // 0: the whole chatbot is gone; -1: reload it (kReloadChatbot)
  };
  Result<std::vector<Change>> ChangesAfter(int64_t seq, int limit);
  Result<int64_t> LastChangeSeq();
  // Logs that every chunk of the chatbot is gone (it is being deleted).
  Status LogChatbotDropped(const std::string& chatbot_id);
  // Chunks by id with what the index needs and the vector of their chatbot's active embedder
  // (none while it has none); missing ids are absent.
  Result<std::vector<ChunkForIndex>> ChunksForIndex(const std::vector<int64_t>& ids);
  // A chatbot's chunks likewise, in id order, `limit` at a time after `after_id`.
  Result<std::vector<ChunkForIndex>> ChatbotChunksForIndex(const std::string& chatbot_id,
                                                           int64_t after_id, int limit);
  // Every chatbot's, and one chatbot's (nullopt when it is gone).
  Result<std::vector<ChatbotIndexRow>> ChatbotIndexRows();
  Result<std::optional<ChatbotIndexRow>> ChatbotIndexRowOf(const std::string& chatbot_id);

 private:
  storage::Database& db_;
};

// JSON array text <-> strings.
std::string StringsJson(const std::vector<std::string>& v);
std::vector<std::string> StringsFromJson(const std::string& text);

}  // namespace studybot::ingest
