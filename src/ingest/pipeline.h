// IngestPipeline: the job that turns a document into searchable chunks. Parse (text, Markdown,
// HTML, PDF) -> chunk (headings, paragraphs, list items; tokens with overlap) -> dedup (a chunk
// text the chatbot already has is stored once) -> embed (cached by embedder and content hash, so
// unchanged text is never embedded twice) -> store the chunks and log the change, in one
// transaction. The indexes follow the change log (IndexFollower).
//
// Idempotent: a job run twice (its worker died after committing) stores the same chunks once. A
// job for an old version of a document (it was replaced since) does nothing.
//
// Thread-safe; blocking (run by the JobWorker).
#pragma once

#include <functional>

#include "chatbots/repository.h"
#include "ingest/chunker.h"
#include "ingest/document_repository.h"
#include "ingest/embedder_registry.h"
#include "ingest/reindex.h"
#include "jobs/job_queue.h"
#include "jobs/job_worker.h"

namespace studybot::ingest {

inline constexpr const char* kIngestJob = "ingest_document";

// The job for one version of a document.
jobs::JobSpec IngestJobFor(const Document& doc);

class IngestPipeline {
 public:
  // The chatbot's knowledge settings give the chunking; its active embedder and, during a
  // re-index, its target embedder embed the chunks. After chunks were committed, a chatbot on the
  // learned embedder whose training is due gets a re-index job, and `on_stored` is called (to wake
  // the local index follower and workers).
  IngestPipeline(DocumentRepository& docs, chatbots::ChatbotRepository& bots, EmbedderStore& store,
                 EmbedderRegistry& registry, ReindexJob& reindex, jobs::JobQueue& queue,
                 std::function<void()> on_stored = {})
      : docs_(docs),
        bots_(bots),
        store_(store),
        registry_(registry),
        reindex_(reindex),
        queue_(queue),
        on_stored_(std::move(on_stored)) {}

  // The JobWorker handler of kIngestJob.
  Status Run(jobs::JobContext& ctx);

 private:
  Status Ingest(jobs::JobContext& ctx, Document& doc, const std::string& body);

  DocumentRepository& docs_;
  chatbots::ChatbotRepository& bots_;
  EmbedderStore& store_;
  EmbedderRegistry& registry_;
  ReindexJob& reindex_;
  jobs::JobQueue& queue_;
  std::function<void()> on_stored_;
};

// The text of a chunk that duplicates are found by: its heading path, then its text. What is
// embedded is the document's title, a line break, then this.
std::string EmbeddedText(const Chunk& chunk);
// float32 little-endian bytes of a vector, and back (empty on a malformed blob).
std::string PackVector(const std::vector<float>& v);
std::vector<float> UnpackVector(const std::string& bytes);

}  // namespace studybot::ingest
