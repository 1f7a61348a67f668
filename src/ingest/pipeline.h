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

#include "ai/embedder.h"
#include "ingest/chunker.h"
#include "ingest/document_repository.h"
#include "jobs/job_worker.h"

namespace studybot::ingest {

inline constexpr const char* kIngestJob = "ingest_document";

// The job for one version of a document.
jobs::JobSpec IngestJobFor(const Document& doc);

class IngestPipeline {
 public:
  // `embedder` for every chatbot (per-chatbot embedders come with the knowledge settings).
  // `on_stored` is called after chunks were committed (to wake the local index follower).
  IngestPipeline(DocumentRepository& docs, ai::Embedder& embedder, ChunkingOptions chunking,
                 std::function<void()> on_stored = {})
      : docs_(docs), embedder_(embedder), chunking_(chunking), on_stored_(std::move(on_stored)) {}

  // The JobWorker handler of kIngestJob.
  Status Run(jobs::JobContext& ctx);

 private:
  Status Ingest(jobs::JobContext& ctx, Document& doc, const std::string& body);

  DocumentRepository& docs_;
  ai::Embedder& embedder_;
  const ChunkingOptions chunking_;
  std::function<void()> on_stored_;
};

// The text that is embedded and hashed for a chunk: its heading path, then its text.
std::string EmbeddedText(const Chunk& chunk);
// float32 little-endian bytes of a vector, and back (empty on a malformed blob).
std::string PackVector(const std::vector<float>& v);
std::vector<float> UnpackVector(const std::string& bytes);

}  // namespace studybot::ingest
