#include "app/knowledge_parts.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace studybot::app {

std::optional<int64_t> KnowledgeParts::RestoreSnapshot(const std::string& path, Logger& logger) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto position = index->Load(data);
  if (!position.ok()) {
    // A snapshot is only a cache of the database: rebuild from the database instead.
    logger.Warn("index snapshot not used", {{"path", path}, {"error", position.error().message}});
    return std::nullopt;
  }
  return *position;
}

void KnowledgeParts::WriteSnapshot(const std::string& path, int64_t position, Logger& logger) {
  std::string data;
  index->Save(data, position);
  // Written aside, flushed, then renamed over the old one: a crash leaves one whole snapshot.
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0;
  std::size_t done = 0;
  while (ok && done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0)
      ok = false;
    else
      done += static_cast<std::size_t>(n);
  }
  if (ok) ok = ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (ok) ok = ::rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) {
    logger.Warn("writing the index snapshot failed", {{"path", path}});
    ::unlink(tmp.c_str());
    return;
  }
  logger.Info("index snapshot written",
              {{"bytes", std::to_string(data.size())}, {"position", std::to_string(position)}});
}

Status KnowledgeParts::Build(const Config& config, storage::Database& db,
                             chatbots::ChatbotService& chatbots, chatbots::ChatbotRepository& bots,
                             chatbots::SecretStore& secrets, outbound::HttpClient& guarded_http,
                             auth::AuditLog& audit, const Clock& clock, Logger& logger) {
  jobs::JobQueueOptions qo;
  qo.lease = config.knowledge.job_lease;
  queue = std::make_unique<jobs::JobQueue>(db, clock, qo);
  worker = std::make_unique<jobs::JobWorker>(
      *queue, logger,
      jobs::JobWorkerOptions{config.knowledge.job_threads, config.knowledge.job_poll_interval,
                             config.knowledge.job_lease});
  // The operator's OPENAI_BASE_URL may be a model server on this machine or network (Ollama,
  // vLLM): the operator chose it, so any address goes. Chatbot admins' URLs use guarded_http.
  operator_http = std::make_unique<outbound::CurlHttpClient>(
      outbound::HttpClientOptions{outbound::AddressPolicy{true}});
  ingest::ProviderDefaults defaults;
  if (const char* key = std::getenv("OPENAI_API_KEY")) defaults.openai_api_key = key;
  if (const char* url = std::getenv("OPENAI_BASE_URL")) defaults.openai_base_url = url;
  embedder_store = std::make_unique<ingest::EmbedderStore>(db);
  embedders = std::make_unique<ingest::EmbedderRegistry>(
      *embedder_store,
      [&secrets](const std::string& bot, const std::string& name) {
        return secrets.Get(bot, name);
      },
      *operator_http, guarded_http, std::move(defaults));
  index = std::make_unique<search::HnswBm25Index>();
  documents = std::make_unique<ingest::DocumentRepository>(db);
  follower = std::make_unique<ingest::IndexFollower>(*documents, *index, logger,
                                                     config.knowledge.index_poll_interval);
  auto wake = [w = worker.get(), f = follower.get()] {
    w->Poke();
    f->Poke();
  };
  reindex =
      std::make_unique<ingest::ReindexJob>(bots, *documents, *embedder_store, *embedders, wake);
  worker->Register(ingest::kReindexJob,
                   [r = reindex.get()](jobs::JobContext& ctx) { return r->Run(ctx); });
  pipeline = std::make_unique<ingest::IngestPipeline>(*documents, bots, *embedder_store, *embedders,
                                                      *reindex, *queue, wake);
  worker->Register(ingest::kIngestJob,
                   [p = pipeline.get()](jobs::JobContext& ctx) { return p->Run(ctx); });
  service = std::make_unique<ingest::DocumentService>(*documents, *queue, chatbots, audit, clock,
                                                      ingest::DocumentLimits{}, wake);
  search = std::make_unique<ingest::KnowledgeSearch>(*documents, *index, *embedder_store,
                                                     *embedders, chatbots);
  crawl_feed = std::make_unique<ingest::CrawlFeed>(*documents, *queue, clock, logger, wake);
  watch = std::make_unique<ingest::KnowledgeWatch>(*queue, *embedder_store, *embedders, logger,
                                                   [w = worker.get()] { w->Poke(); });
  chatbots.SetKnowledgeObserver(watch.get());
  auto started = std::chrono::steady_clock::now();
  std::string snapshot = (std::filesystem::path(config.data_dir) / "index.snapshot").string();
  std::string how = "database";
  auto restored = RestoreSnapshot(snapshot, logger);
  auto last = documents->LastChangeSeq();
  if (!last.ok()) return last.error();
  if (restored && *restored > *last) {
    // A snapshot ahead of the database's log belongs to another database (or a restored
    // backup): it cannot be trusted.
    logger.Warn("index snapshot is ahead of the database; rebuilding",
                {{"snapshot", std::to_string(*restored)}, {"database", std::to_string(*last)}});
    restored.reset();
  }
  if (restored) {
    follower->ResumeFrom(*restored, index->AllSettings());
    auto caught_up = follower->CatchUp();
    if (!caught_up.ok()) return caught_up;
    how = "snapshot";
  } else {
    auto loaded = follower->LoadAll();
    if (!loaded.ok()) return loaded;
  }
  follower->SetCheckpoint(
      [this, snapshot, &logger](int64_t position) { WriteSnapshot(snapshot, position, logger); },
      config.knowledge.snapshot_interval);
  logger.Info("search index opened",
              {{"from", how},
               {"ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
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
