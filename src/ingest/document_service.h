// DocumentService: a chatbot's documents for its admins (seed 3.2: direct upload; crawled pages
// arrive as documents of source "crawl"). Creating or replacing a document stores it and queues
// its ingestion in one transaction (202: the chunks come a moment later); deleting it removes its
// chunks from every index at once (the change is logged in the same transaction).
//
// Blocking (SQL); thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "auth/audit_log.h"
#include "auth/auth_service.h"
#include "chatbots/service.h"
#include "core/time.h"
#include "ingest/document_repository.h"
#include "jobs/job_queue.h"

namespace studybot::ingest {

struct DocumentInput {
  std::string title;
  std::string url;
  std::string format = "text";  // text | markdown | html | pdf
  std::vector<std::string> tags;
  std::string content;  // the text, or the PDF's bytes
};

struct DocumentLimits {
  std::size_t max_bytes = 10 * 1024 * 1024;  // one document's content (a PDF's bytes)
};

class DocumentService {
 public:
  DocumentService(DocumentRepository& docs, jobs::JobQueue& queue,
                  chatbots::ChatbotService& chatbots, auth::AuditLog& audit, const Clock& clock,
                  DocumentLimits limits = {}, std::function<void()> on_queued = {})
      : docs_(docs),
        queue_(queue),
        chatbots_(chatbots),
        audit_(audit),
        clock_(clock),
        limits_(limits),
        on_queued_(std::move(on_queued)) {}

  Status CheckAccess(const auth::Principal& who, const std::string& chatbot_id) {
    return chatbots_.CheckAccess(who, chatbot_id);
  }

  Result<Document> Create(const auth::Principal& who, const std::string& chatbot_id,
                          const DocumentInput& in, const auth::ClientInfo& client);
  // Several documents (a multipart upload): all are checked before any is stored.
  Result<std::vector<Document>> CreateMany(const auth::Principal& who,
                                           const std::string& chatbot_id,
                                           const std::vector<DocumentInput>& inputs,
                                           const auth::ClientInfo& client);
  const DocumentLimits& limits() const { return limits_; }
  Result<Document> Replace(const auth::Principal& who, const std::string& chatbot_id,
                           const std::string& id, const DocumentInput& in,
                           const auth::ClientInfo& client);
  Status Delete(const auth::Principal& who, const std::string& chatbot_id, const std::string& id,
                const auth::ClientInfo& client);
  Result<std::pair<Document, std::vector<StoredChunk>>> Get(const auth::Principal& who,
                                                            const std::string& chatbot_id,
                                                            const std::string& id);
  Result<DocumentPage> List(const auth::Principal& who, const DocumentQuery& q);
  // Queues a re-index of the chatbot now (a learned embedder is trained on all of its chunks;
  // any other is re-checked); the job id.
  Result<std::string> Reindex(const auth::Principal& who, const std::string& chatbot_id,
                              const auth::ClientInfo& client);

 private:
  Status Check(const DocumentInput& in) const;
  Status CheckChatbot(const auth::Principal& who, const std::string& chatbot_id);

  DocumentRepository& docs_;
  jobs::JobQueue& queue_;
  chatbots::ChatbotService& chatbots_;
  auth::AuditLog& audit_;
  const Clock& clock_;
  const DocumentLimits limits_;
  std::function<void()> on_queued_;
};

boost::json::object DocumentJson(const Document& d);
boost::json::object ChunkJson(const StoredChunk& c);

}  // namespace studybot::ingest
