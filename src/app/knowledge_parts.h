// The knowledge feature's objects (issue 9): the job queue and its workers, the embedders, the
// search index (built in, or Qdrant) and the follower that keeps it equal to the database, the
// ingestion pipeline, and the document and search services behind their routes. Built by
// Application.
#pragma once

#include <memory>
#include <optional>

#include "chatbots/repository.h"
#include "chatbots/secret_store.h"
#include "core/config.h"
#include "core/log.h"
#include "ingest/crawl_feed.h"
#include "ingest/document_repository.h"
#include "ingest/document_service.h"
#include "ingest/embedder_registry.h"
#include "ingest/embedder_store.h"
#include "ingest/index_follower.h"
#include "ingest/knowledge_search.h"
#include "ingest/knowledge_watch.h"
#include "ingest/pipeline.h"
#include "ingest/reindex.h"
#include "ingest/routes.h"
#include "jobs/job_queue.h"
#include "jobs/job_worker.h"
#include "ops/readiness.h"
#include "outbound/http_client.h"
#include "search/hnsw_bm25_index.h"
#include "search/qdrant_collections.h"

namespace studybot::app {

struct KnowledgeParts {
  std::unique_ptr<jobs::JobQueue> queue;
  std::unique_ptr<jobs::JobWorker> worker;
  std::unique_ptr<outbound::CurlHttpClient> operator_http;  // for OPENAI_BASE_URL
  std::unique_ptr<ingest::EmbedderStore> embedder_store;
  std::unique_ptr<ingest::EmbedderRegistry> embedders;
  // One of the two indexes: the built-in one, or Qdrant's (config qdrant.url).
  std::unique_ptr<search::HnswBm25Index> builtin;
  std::unique_ptr<search::QdrantCollections> qdrant;
  search::CheckpointedIndex* index = nullptr;
  std::unique_ptr<ops::DependencyCheck> qdrant_check;  // for /ready, with Qdrant
  std::unique_ptr<ingest::DocumentRepository> documents;
  std::unique_ptr<ingest::IndexFollower> follower;
  std::unique_ptr<ingest::ReindexJob> reindex;
  std::unique_ptr<ingest::IngestPipeline> pipeline;
  std::unique_ptr<ingest::KnowledgeWatch> watch;  // the chatbot service's KnowledgeObserver
  std::unique_ptr<ingest::DocumentService> service;
  std::unique_ptr<ingest::KnowledgeSearch> search;
  std::unique_ptr<ingest::CrawlFeed> crawl_feed;  // the scraping repository's page observer
  std::unique_ptr<ingest::KnowledgeRoutesDeps> routes;

  // Builds everything and loads the index from the database (the time to open it is logged).
  // `guarded_http` calls provider URLs that chatbot admins set (the SSRF guard applies).
  Status Build(const Config& config, storage::Database& db, chatbots::ChatbotService& chatbots,
               chatbots::ChatbotRepository& bots, chatbots::SecretStore& secrets,
               outbound::HttpClient& guarded_http, auth::AuditLog& audit, const Clock& clock,
               Logger& logger);
  void Start();
  void Stop();

 private:
  Status BuildIndex(const Config& config);
  // Fills the built-in index (from its snapshot and the log, or the database) before serving.
  // Answers where it came from: "snapshot" or "database".
  Result<std::string> OpenBuiltin(const std::string& snapshot, int64_t last, Logger& logger);
  // Qdrant keeps its points: resumes from the checkpoint, or loads everything in the background
  // (Qdrant may be down at start: the follower retries).
  std::string OpenQdrant(const std::string& checkpoint, int64_t last, Logger& logger);
  // The position of a usable snapshot at `path` (now loaded into the index), or nullopt.
  std::optional<int64_t> RestoreSnapshot(const std::string& path, int64_t last, Logger& logger);
  void WriteSnapshot(const std::string& path, int64_t position, Logger& logger);
};

}  // namespace studybot::app
