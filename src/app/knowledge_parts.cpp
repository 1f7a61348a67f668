#include "app/knowledge_parts.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace studybot::app {

namespace {

// /ready: Qdrant's readiness probe.
class QdrantCheck final : public ops::DependencyCheck {
 public:
  explicit QdrantCheck(search::QdrantCollections& qdrant) : qdrant_(qdrant) {}
  std::string name() const override { return "qdrant"; }
  Result<boost::json::object> Check() override {
    if (auto st = qdrant_.Ping(); !st.ok()) return st.error();
    return boost::json::object{};
  }

 private:
  search::QdrantCollections& qdrant_;
};

}  // namespace

std::optional<int64_t> KnowledgeParts::RestoreSnapshot(const std::string& path, int64_t last,
                                                       Logger& logger) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto position = index->Load(data);
  if (!position.ok()) {
    // A snapshot is only a cache of the database: rebuild from the database instead.
    logger.Warn("index snapshot not used", {{"path", path}, {"error", position.error().message}});
    return std::nullopt;
  }
  if (*position > last) {
    // A snapshot ahead of the database's log belongs to another database (or a restored
    // backup): it cannot be trusted.
    logger.Warn("index snapshot is ahead of the database; rebuilding",
                {{"snapshot", std::to_string(*position)}, {"database", std::to_string(last)}});
    for (const auto& [bot, settings] : index->AllSettings())
      (void)index->DropChatbot(bot);  // the load from the database brings back what is real
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
  if (auto made = BuildIndex(config); !made.ok()) return made;
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
  auto last = documents->LastChangeSeq();
  if (!last.ok()) return last.error();
  std::string from;
  const std::string snapshot =
      (std::filesystem::path(config.data_dir) / (qdrant ? "qdrant.checkpoint" : "index.snapshot"))
          .string();
  if (qdrant) {
    from = OpenQdrant(snapshot, *last, logger);
  } else {
    auto opened = OpenBuiltin(snapshot, *last, logger);
    if (!opened.ok()) return opened.error();
    from = *opened;
  }
  follower->SetCheckpoint(
      [this, snapshot, &logger](int64_t position) { WriteSnapshot(snapshot, position, logger); },
      config.knowledge.snapshot_interval);
  logger.Info("search index opened",
              {{"index", qdrant ? "qdrant" : "built-in"},
               {"from", from},
               {"ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - started)
                                         .count())},
               {"position", std::to_string(follower->position())}});
  return OkStatus();
}

Status KnowledgeParts::BuildIndex(const Config& config) {
  if (config.qdrant.url.empty()) {
    builtin = std::make_unique<search::HnswBm25Index>();
    index = builtin.get();
    return OkStatus();
  }
  search::QdrantIndexOptions o;
  o.base_url = config.qdrant.url;
  o.api_key = config.qdrant.api_key;
  o.collection_prefix = config.qdrant.collection_prefix;
  o.timeout = config.qdrant.timeout;
  // Keyword-only chatbots live in the collection of the hashing embedder's length.
  o.dimensions = 384;
  // Qdrant is the operator's server, often on the same network: private addresses go.
  auto made = search::QdrantCollections::Make(std::move(o), *operator_http);
  if (!made.ok()) {
    return Error::InvalidArgument("qdrant (STUDYBOT_QDRANT_*): " + made.error().message);
  }
  qdrant = std::move(made).value();
  index = qdrant.get();
  qdrant_check = std::make_unique<QdrantCheck>(*qdrant);
  return OkStatus();
}

Result<std::string> KnowledgeParts::OpenBuiltin(const std::string& snapshot, int64_t last,
                                                Logger& logger) {
  auto restored = RestoreSnapshot(snapshot, last, logger);
  if (!restored) {
    if (auto loaded = follower->LoadAll(); !loaded.ok()) return loaded.error();
    return std::string("database");
  }
  // The log after the snapshot is applied by the follower's loop, not here: it may hold the
  // rebuild of a large chatbot (a new embedder: minutes of HNSW inserts), and searches can be
  // served from the snapshot meanwhile, as they are during any rebuild.
  follower->ResumeFrom(*restored, index->AllSettings());
  return std::string("snapshot");
}

std::string KnowledgeParts::OpenQdrant(const std::string& checkpoint, int64_t last,
                                       Logger& logger) {
  auto restored = RestoreSnapshot(checkpoint, last, logger);
  if (restored) {
    // A Qdrant that lost collections (deleted, or a new server) needs everything again.
    auto missing = qdrant->MissingCollections();
    if (missing.ok() && !missing->empty()) {
      logger.Warn("Qdrant lacks collections of the checkpoint; reloading",
                  {{"collection", missing->front()}});
      restored.reset();
    }
  }
  // No catching up here: Qdrant may be down. The follower's loop does it, and retries.
  if (restored) {
    follower->ResumeFrom(*restored, index->AllSettings());
    return "checkpoint";
  }
  follower->LoadAllLater();
  return "database, in the background";
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
