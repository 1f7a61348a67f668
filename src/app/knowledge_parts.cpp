#include "app/knowledge_parts.h"

namespace studybot::app {

Status KnowledgeParts::Build(const Config& config, storage::Database& db,
                             chatbots::ChatbotService& chatbots, auth::AuditLog& audit,
                             const Clock& clock, Logger& logger) {
  jobs::JobQueueOptions qo;
  qo.lease = config.knowledge.job_lease;
  queue = std::make_unique<jobs::JobQueue>(db, clock, qo);
  worker = std::make_unique<jobs::JobWorker>(
      *queue, logger,
      jobs::JobWorkerOptions{config.knowledge.job_threads, config.knowledge.job_poll_interval,
                             config.knowledge.job_lease});
  ai::HashingEmbedder::Options eo;
  eo.dimensions = config.knowledge.embedding_dimensions;
  embedder = std::make_unique<ai::HashingEmbedder>(eo);
  index = std::make_unique<search::HnswBm25Index>();
  documents = std::make_unique<ingest::DocumentRepository>(db);
  follower = std::make_unique<ingest::IndexFollower>(*documents, *index, embedder->id(), logger,
                                                     config.knowledge.index_poll_interval);
  ingest::ChunkingOptions chunking;
  chunking.size_tokens = config.knowledge.chunk_size_tokens;
  chunking.overlap_tokens = config.knowledge.chunk_overlap_tokens;
  auto valid = ingest::ValidateChunkingOptions(chunking);
  if (!valid.ok()) return valid;
  pipeline = std::make_unique<ingest::IngestPipeline>(*documents, *embedder, chunking,
                                                      [f = follower.get()] { f->Poke(); });
  worker->Register(ingest::kIngestJob,
                   [p = pipeline.get()](jobs::JobContext& ctx) { return p->Run(ctx); });
  service = std::make_unique<ingest::DocumentService>(*documents, *queue, chatbots, audit, clock,
                                                      ingest::DocumentLimits{},
                                                      [w = worker.get(), f = follower.get()] {
                                                        w->Poke();
                                                        f->Poke();
                                                      });
  search = std::make_unique<ingest::KnowledgeSearch>(*documents, *index, *embedder, chatbots);
  crawl_feed = std::make_unique<ingest::CrawlFeed>(*documents, *queue, clock, logger,
                                                   [w = worker.get(), f = follower.get()] {
                                                     w->Poke();
                                                     f->Poke();
                                                   });
  auto started = std::chrono::steady_clock::now();
  auto loaded = follower->LoadAll();
  if (!loaded.ok()) return loaded;
  logger.Info("search index loaded",
              {{"ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - started)
                                         .count())},
               {"position", std::to_string(follower->position())}});
  return OkStatus();
}

void KnowledgeParts::Start() {
  follower->Start();
  worker->Start();
}

void KnowledgeParts::Stop() {
  if (worker) worker->Stop();
  if (follower) follower->Stop();
}

}  // namespace studybot::app
