#include "app/application.h"

#include "app/local_secrets.h"
#include "core/crypto.h"
#include "core/strings.h"
#include "storage/migrations.h"

namespace studybot::app {

storage::DatabaseOptions DatabaseOptionsFrom(const Config& config) {
  storage::DatabaseOptions o;
  o.url = config.EffectiveDatabaseUrl();
  o.pool_size = config.database.pool_size;
  o.busy_timeout = config.database.busy_timeout;
  o.mysql_ssl_mode = config.database.mysql_ssl_mode;
  o.mysql_ssl_ca = config.database.mysql_ssl_ca;
  return o;
}

Result<auth::JwtOptions> JwtOptionsFrom(const Config& config) {
  auth::JwtOptions o;
  std::string secret = config.jwt.secret;
  if (secret.empty()) {
    // LoadConfig refuses production without a secret; this is development.
    auto kept =
        LoadOrCreateSecretFile(config.data_dir + "/jwt_secret", [] { return RandomToken(48); });
    if (!kept.ok()) return kept.error();
    secret = *kept;
  }
  o.current = {config.jwt.kid, secret};
  if (!config.jwt.previous_secret.empty()) {
    o.previous = auth::JwtKey{config.jwt.previous_kid, config.jwt.previous_secret};
  }
  o.issuer = config.jwt.issuer;
  o.audience = config.jwt.audience;
  o.access_ttl = config.jwt.access_ttl;
  o.leeway = config.jwt.leeway;
  return o;
}

Result<SecretBox> SecretBoxFrom(const Config& config) {
  std::string ring = config.encryption_key;
  if (ring.empty()) {
    auto kept = LoadOrCreateSecretFile(config.data_dir + "/encryption_key",
                                       [] { return SecretBox::GenerateKeyring("k1"); });
    if (!kept.ok()) return kept.error();
    ring = *kept;
  }
  return SecretBox::FromKeyring(ring);
}

Application::Application(const Config& config, Logger& logger) : config_(config), logger_(logger) {}

void Application::Start() {
  webhooks_.deliverer->Start();
  StartScraping();
  knowledge_.Start();
  server_->Start();
}

void Application::RunUntilSignal() {
  webhooks_.deliverer->Start();
  StartScraping();
  knowledge_.Start();
  server_->RunUntilSignal();
  StopScraping();
  knowledge_.Stop();
  webhooks_.deliverer->Stop();
}

void Application::StartScraping() {
  scraping_.worker->Start();
  scraping_.scheduler->Start();
}

void Application::StopScraping() {
  // Before the knowledge parts, whose job queue the crawl worker uses.
  if (scraping_.scheduler) scraping_.scheduler->Stop();
  if (scraping_.worker) scraping_.worker->Stop();
}

Application::~Application() {
  // The server goes first: no request may run against parts that are being torn down.
  server_.reset();
  StopScraping();
  knowledge_.Stop();
  if (webhooks_.deliverer) webhooks_.deliverer->Stop();
  if (workers_) workers_->Stop();
  if (password_workers_) password_workers_->Stop();
}

namespace {

// What every provider chat model shares: OPENAI_API_KEY / OPENAI_BASE_URL and the chat.* tuning.
chat::ChatProviderDefaults ChatDefaults(const Config& config) {
  chat::ChatProviderDefaults d;
  if (const char* key = std::getenv("OPENAI_API_KEY")) d.openai_api_key = key;
  if (const char* url = std::getenv("OPENAI_BASE_URL")) d.openai_base_url = url;
  auto& t = d.tuning;
  t.head_timeout = config.chat.head_timeout;
  t.idle_timeout = config.chat.idle_timeout;
  t.total_timeout = config.chat.total_timeout;
  t.max_attempts = config.chat.max_attempts;
  t.retry_base = config.chat.retry_base;
  t.retry_cap = std::max(config.chat.retry_base, std::chrono::milliseconds(8'000));
  t.breaker.failure_threshold = config.chat.breaker_failures;
  t.breaker.cooldown = config.chat.breaker_cooldown;
  t.budget.requests_per_minute = config.chat.requests_per_minute;
  t.budget.tokens_per_minute = config.chat.tokens_per_minute;
  return d;
}

// Readiness of the shared rate-limit store.
class RedisCheck final : public ops::DependencyCheck {
 public:
  explicit RedisCheck(ratelimit::RedisRateLimiter& redis) : redis_(redis) {}
  std::string name() const override { return "redis"; }
  Result<boost::json::object> Check() override {
    auto st = redis_.Ping();
    if (!st.ok()) return st.error();
    return boost::json::object{};
  }

 private:
  ratelimit::RedisRateLimiter& redis_;
};

}  // namespace

Status Application::BuildRateLimits() {
  auto limits = ratelimit::LimitsFrom(config_.ratelimit);
  if (!limits.ok()) return limits.error();
  rate_.limits = *limits;
  if (config_.redis_url.empty()) {
    rate_.memory = std::make_unique<ratelimit::MemoryRateLimiter>(
        ratelimit::MemoryRateLimiterOptions{}, clock_);
    rate_.limiter = rate_.memory.get();
    return OkStatus();
  }
  ratelimit::RedisRateLimiterOptions o;
  o.redis.url = config_.redis_url;
  auto redis = ratelimit::RedisRateLimiter::Create(o, clock_);
  if (!redis.ok()) {
    return Error::InvalidArgument("redis_url (STUDYBOT_REDIS_URL): " + redis.error().message);
  }
  rate_.redis = std::move(redis).value();
  rate_.guarded = std::make_unique<ratelimit::FailurePolicyRateLimiter>(
      *rate_.redis, config_.ratelimit.failure_policy == "closed" ? ratelimit::FailurePolicy::kClosed
                                                                 : ratelimit::FailurePolicy::kOpen);
  rate_.limiter = rate_.guarded.get();
  rate_.redis_check = std::make_unique<RedisCheck>(*rate_.redis);
  ops_deps_->checks.push_back(rate_.redis_check.get());
  return OkStatus();
}

Status Application::BuildAuth() {
  auto jwt = JwtOptionsFrom(config_);
  if (!jwt.ok()) return jwt.error();
  auto& a = auth_;
  a.users = std::make_unique<auth::UserRepository>(*db_);
  a.sessions = std::make_unique<auth::SessionRepository>(*db_);
  a.audit = std::make_unique<auth::AuditLog>(*db_, clock_);
  a.hasher = std::make_unique<auth::BcryptPasswordHasher>(config_.auth.bcrypt_cost);
  workers_->Post([hasher = a.hasher.get()] { hasher->Warm(); });
  a.policy.min_length = static_cast<std::size_t>(config_.auth.password_min_length);
  a.signer = std::make_unique<auth::JwtSigner>(*jwt);
  a.verifier = std::make_unique<auth::JwtVerifier>(*jwt, clock_);
  a.service =
      std::make_unique<auth::AuthService>(config_.auth, *a.users, *a.sessions, *a.audit, *a.hasher,
                                          a.policy, *a.signer, *a.verifier, clock_);
  a.user_service = std::make_unique<auth::UserService>(*a.users, *a.service, *a.audit, clock_);
  auto box = SecretBoxFrom(config_);
  if (!box.ok()) return box.error();
  a.secret_box = std::make_unique<SecretBox>(std::move(box).value());
  a.secrets = std::make_unique<chatbots::SecretStore>(*db_, *a.secret_box, clock_);
  a.system_secrets = std::make_unique<SystemSecrets>(*db_, *a.secret_box, clock_);
  a.chatbots = std::make_unique<chatbots::ChatbotRepository>(*db_);
  a.chatbot_service = std::make_unique<chatbots::ChatbotService>(*a.chatbots, *a.secrets, *a.users,
                                                                 *a.audit, clock_, &events_);
  a.api_keys = std::make_unique<auth::ApiKeyRepository>(*db_);
  a.api_key_service = std::make_unique<chatbots::ApiKeyService>(
      *a.api_keys, *a.chatbots, *a.chatbot_service, *a.audit, clock_, &events_);
  // The SMTP password may be given sealed ("v1.<key id>...", from `studybot secrets seal`), so
  // that config files and environments do not hold it in plain text.
  // Or kept sealed in the database (`studybot secrets set --name smtp.password`), where `studybot
  // keys rotate` re-seals it.
  smtp_password_ = config_.smtp.password;
  if (smtp_password_.empty() && !config_.smtp.url.empty()) {
    auto stored = a.system_secrets->Get("smtp.password");
    if (!stored.ok()) {
      return Error::InvalidArgument("the stored SMTP password cannot be opened: " +
                                    stored.error().message);
    }
    smtp_password_ = stored->value_or("");
  } else if (StartsWith(smtp_password_, "v1.")) {
    auto opened = a.secret_box->Open(smtp_password_, kSealedSmtpPassword);
    if (!opened.ok()) {
      return Error::InvalidArgument("smtp.password (STUDYBOT_SMTP_PASSWORD): cannot open: " +
                                    opened.error().message);
    }
    smtp_password_ = std::move(opened).value();
  } else if (!smtp_password_.empty() && config_.environment == "production") {
    logger_.Warn(
        "smtp.password is given in plain text; seal it with `studybot secrets seal --name "
        "smtp.password` so that the config and environment do not hold it readable");
  }
  guard_ =
      std::make_unique<auth::Guard>(*a.service, *workers_, rate_.limiter, rate_.limits.per_user);
  widget_guard_ = std::make_unique<chatbots::WidgetGuard>(*a.api_key_service, *workers_,
                                                          *rate_.limiter, rate_.limits);

  if (!config_.admin.email.empty() || !config_.admin.password.empty()) {
    if (config_.admin.email.empty() || config_.admin.password.empty()) {
      return Error::InvalidArgument(
          "STUDYBOT_ADMIN_EMAIL and STUDYBOT_ADMIN_PASSWORD must be set together");
    }
    auto created = a.service->BootstrapAdmin(config_.admin.email, config_.admin.password);
    if (!created.ok()) {
      return Error::InvalidArgument(
          "could not create the first admin: " + created.error().message +
          (created.error().details.empty() ? "" : " (" + created.error().details[0].reason + ")"));
    }
    if (*created) logger_.Info("first system admin created", {{"email", config_.admin.email}});
  }
  return OkStatus();
}

void Application::BuildWebhooks() {
  http_client_ = std::make_unique<outbound::CurlHttpClient>(outbound::HttpClientOptions{
      outbound::AddressPolicy{config_.outbound.allow_private_addresses}});
  auto& w = webhooks_;
  w.repository = std::make_unique<webhooks::WebhookRepository>(*db_);
  w.deliverer = std::make_unique<webhooks::WebhookDeliverer>(
      *w.repository, *auth_.secret_box, *http_client_, clock_, logger_,
      webhooks::DelivererOptions{config_.webhooks.max_attempts, config_.webhooks.poll_interval,
                                 config_.webhooks.retry_base, config_.outbound.request_timeout});
  w.service = std::make_unique<webhooks::WebhookService>(
      *w.repository, *auth_.chatbot_service, *auth_.secret_box, *auth_.audit, clock_, logger_,
      [d = w.deliverer.get()] { d->Wake(); });
  events_.Attach(w.service.get());
}

void Application::BuildScraping() {
  auto& s = scraping_;
  s.repository = std::make_unique<scraping::ScrapingRepository>(*db_, knowledge_.crawl_feed.get());
  scraping::CrawlOptions crawl;
  crawl.min_delay = config_.scraping.min_delay;
  crawl.request_timeout = config_.outbound.request_timeout;
  s.crawler = std::make_unique<scraping::Crawler>(*http_client_, *s.repository, clock_, crawl);
  auto& queue = *knowledge_.queue;
  s.crawls = std::make_unique<scraping::CrawlJob>(*s.repository, *s.crawler, queue, clock_, logger_,
                                                  &events_);
  // One crawl at a time per process, as polite as one crawler thread; the lease is the queue's.
  s.worker = std::make_unique<jobs::JobWorker>(
      queue, logger_,
      jobs::JobWorkerOptions{1, config_.scraping.poll_interval, config_.knowledge.job_lease});
  s.worker->Register(scraping::kCrawlJob,
                     [c = s.crawls.get()](jobs::JobContext& ctx) { return c->Run(ctx); });
  auto wake = [w = s.worker.get()] { w->Poke(); };
  s.scheduler = std::make_unique<scraping::CrawlScheduler>(*s.crawls, logger_,
                                                           config_.scraping.schedule_check, wake);
  s.service = std::make_unique<scraping::ScrapingService>(
      *s.repository, queue, *auth_.chatbot_service, *auth_.audit, clock_, wake);
}

void Application::RegisterRoutes() {
  ops::RegisterOpsRoutes(router_, *ops_deps_);
  if (!config_.smtp.url.empty()) {
    mailer_ = std::make_unique<outbound::SmtpMailer>(outbound::SmtpOptions{
        config_.smtp.url, config_.smtp.username, smtp_password_, config_.smtp.from,
        config_.smtp.require_tls, std::chrono::milliseconds(10'000)});
  }
  auth_routes_ = std::make_unique<auth::AuthRoutesDeps>(auth::AuthRoutesDeps{
      *auth_.service, *auth_.users, *guard_, *workers_, *password_workers_, *validator_,
      config_.auth, logger_, mailer_.get(), config_.environment == "development", rate_.limiter,
      rate_.limits.per_ip});
  auth::RegisterAuthRoutes(router_, *auth_routes_);
  user_routes_ = std::make_unique<auth::UserRoutesDeps>(auth::UserRoutesDeps{
      *auth_.user_service, *auth_.audit, *guard_, *workers_, *password_workers_, *validator_});
  auth::RegisterUserRoutes(router_, *user_routes_);
  chatbot_routes_ = std::make_unique<chatbots::ChatbotRoutesDeps>(chatbots::ChatbotRoutesDeps{
      *auth_.chatbot_service, *guard_, *widget_guard_, *workers_, *validator_});
  chatbots::RegisterChatbotRoutes(router_, *chatbot_routes_);
  api_key_routes_ = std::make_unique<chatbots::ApiKeyRoutesDeps>(
      chatbots::ApiKeyRoutesDeps{*auth_.api_key_service, *guard_, *workers_, *validator_});
  chatbots::RegisterApiKeyRoutes(router_, *api_key_routes_);
  webhooks_.routes = std::make_unique<webhooks::WebhookRoutesDeps>(
      webhooks::WebhookRoutesDeps{*webhooks_.service, *guard_, *workers_, *validator_});
  webhooks::RegisterWebhookRoutes(router_, *webhooks_.routes);
  chat_.sessions = std::make_unique<chat::ChatSessionRepository>(*db_);
  chat_.service = std::make_unique<chat::ChatSessionService>(
      *chat_.sessions, *auth_.chatbot_service, clock_, &events_);
  chat_.routes = std::make_unique<chat::ChatRoutesDeps>(
      chat::ChatRoutesDeps{*chat_.service, *guard_, *widget_guard_, *workers_, *validator_});
  chat::RegisterChatRoutes(router_, *chat_.routes);
  chat_.messages = std::make_unique<chat::MessageRepository>(*db_);
  chat_.extractive = std::make_unique<ai::ExtractiveAnswerer>();
  chat_.runtime = std::make_unique<ChatRuntime>(config_);
  chat_.models = std::make_unique<chat::ChatModelRegistry>(
      *chat_.extractive,
      [s = auth_.secrets.get()](const std::string& bot, const std::string& name) {
        return s->Get(bot, name);
      },
      chat_.runtime->operator_client(), chat_.runtime->guarded_client(), chat_.runtime->executor(),
      ChatDefaults(config_));
  chat_.answers =
      std::make_unique<chat::AnswerService>(*chat_.service, *chat_.sessions, *chat_.messages,
                                            *knowledge_.search, *chat_.models, clock_, &events_);
  chat_.feedback = std::make_unique<chat::FeedbackService>(*chat_.messages, *auth_.chatbot_service,
                                                           clock_, &events_);
  chat_.answer_routes = std::make_unique<chat::AnswerRoutesDeps>(chat::AnswerRoutesDeps{
      *chat_.answers, *chat_.feedback, *auth_.chatbot_service, *guard_, *widget_guard_, *workers_,
      *validator_, config_.chat.heartbeat_interval});
  chat::RegisterAnswerRoutes(router_, *chat_.answer_routes);
  scraping_.routes = std::make_unique<scraping::ScrapingRoutesDeps>(
      scraping::ScrapingRoutesDeps{*scraping_.service, *guard_, *workers_, *validator_});
  scraping::RegisterScrapingRoutes(router_, *scraping_.routes);
  knowledge_.routes = std::make_unique<ingest::KnowledgeRoutesDeps>(ingest::KnowledgeRoutesDeps{
      *knowledge_.service, *knowledge_.search, *guard_, *workers_, *validator_});
  ingest::RegisterKnowledgeRoutes(router_, *knowledge_.routes);
}

Result<std::unique_ptr<Application>> Application::Create(const Config& config, Logger& logger) {
  std::unique_ptr<Application> app(new Application(config, logger));

  auto db = storage::Database::Open(DatabaseOptionsFrom(config));
  if (!db.ok()) return db.error();
  app->db_ = std::move(db).value();

  if (config.database.migrate_on_start) {
    storage::Migrator migrator(*app->db_);
    auto applied = migrator.Migrate();
    if (!applied.ok()) return applied.error();
    for (int version : *applied)
      logger.Info("migration applied", {{"version", version}});
  }

  app->workers_ = std::make_unique<WorkerPool>(config.worker_threads);
  app->password_workers_ = std::make_unique<BoundedWorkerPool>(BoundedPoolOptions{
      config.auth.hash_threads, config.auth.hash_queue, config.auth.hash_queue_timeout, 1});
  app->validator_ = std::make_unique<validation::Validator>();
  app->db_check_ = std::make_unique<ops::DatabaseCheck>(*app->db_);
  app->password_check_ = std::make_unique<ops::PasswordPoolCheck>(*app->password_workers_);
  app->ops_deps_ = std::make_unique<ops::OpsDeps>(ops::OpsDeps{
      app->metrics_, *app->workers_, {app->db_check_.get(), app->password_check_.get()}});
  auto limited = app->BuildRateLimits();
  if (!limited.ok()) return limited.error();
  auto built = app->BuildAuth();
  if (!built.ok()) return built.error();
  app->BuildWebhooks();
  auto knowledge = app->knowledge_.Build(
      config, *app->db_, *app->auth_.chatbot_service, *app->auth_.chatbots, *app->auth_.secrets,
      *app->http_client_, *app->auth_.audit, app->clock_, logger);
  if (!knowledge.ok()) return knowledge.error();
  if (app->knowledge_.qdrant_check)
    app->ops_deps_->checks.push_back(app->knowledge_.qdrant_check.get());
  app->BuildScraping();
  app->RegisterRoutes();

  auto cors = http::CorsPolicy::Create(config.http.cors_origins);
  if (!cors.ok()) return cors.error();
  auto proxies = http::TrustedProxies::Parse(config.http.trusted_proxies);
  if (!proxies.ok()) return proxies.error();
  app->pipeline_ = std::make_unique<http::Pipeline>(
      app->router_, http::PipelineOptions{std::move(cors).value(), std::move(proxies).value()},
      logger, &app->metrics_);
  app->server_ = std::make_unique<http::Server>(config.http, *app->pipeline_, logger);
  auto listening = app->server_->Listen();
  if (!listening.ok()) return listening.error();
  return app;
}

}  // namespace studybot::app
