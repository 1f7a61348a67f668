// Application: builds every long-lived object from the Config (the composition list) and owns
// them in dependency order. main.cpp and the integration tests both go through it.
#pragma once

#include <memory>

#include "ai/extractive_answerer.h"
#include "app/chat_runtime.h"
#include "app/knowledge_parts.h"
#include "app/system_secrets.h"
#include "auth/api_key_repository.h"
#include "auth/audit_log.h"
#include "auth/auth_service.h"
#include "auth/guard.h"
#include "auth/jwt.h"
#include "auth/password_hasher.h"
#include "auth/routes.h"
#include "auth/session_repository.h"
#include "auth/user_repository.h"
#include "auth/user_routes.h"
#include "auth/user_service.h"
#include "chat/answer_routes.h"
#include "chat/answer_service.h"
#include "chat/chat_models.h"
#include "chat/feedback_service.h"
#include "chat/message_repository.h"
#include "chat/routes.h"
#include "chat/session_repository.h"
#include "chat/session_service.h"
#include "chatbots/api_key_routes.h"
#include "chatbots/api_key_service.h"
#include "chatbots/repository.h"
#include "chatbots/routes.h"
#include "chatbots/secret_store.h"
#include "chatbots/service.h"
#include "chatbots/widget_guard.h"
#include "core/config.h"
#include "core/events.h"
#include "core/log.h"
#include "core/result.h"
#include "core/secret_box.h"
#include "core/time.h"
#include "core/worker_pool.h"
#include "http/pipeline.h"
#include "http/router.h"
#include "http/server.h"
#include "ops/metrics.h"
#include "ops/readiness.h"
#include "ops/routes.h"
#include "outbound/http_client.h"
#include "outbound/smtp_mailer.h"
#include "ratelimit/failure_policy_rate_limiter.h"
#include "ratelimit/memory_rate_limiter.h"
#include "ratelimit/redis_rate_limiter.h"
#include "ratelimit/request_limits.h"
#include "scraping/crawl_job.h"
#include "scraping/crawl_scheduler.h"
#include "scraping/crawler.h"
#include "scraping/repository.h"
#include "scraping/routes.h"
#include "scraping/service.h"
#include "storage/database.h"
#include "validation/validator.h"
#include "webhooks/deliverer.h"
#include "webhooks/repository.h"
#include "webhooks/routes.h"
#include "webhooks/service.h"

namespace studybot::app {

// The admin-facing features: users, sessions, chatbots, audit.
struct AuthParts {
  std::unique_ptr<auth::UserRepository> users;
  std::unique_ptr<auth::SessionRepository> sessions;
  std::unique_ptr<auth::AuditLog> audit;
  std::unique_ptr<auth::BcryptPasswordHasher> hasher;
  auth::PasswordPolicy policy;
  std::unique_ptr<auth::JwtSigner> signer;
  std::unique_ptr<auth::JwtVerifier> verifier;
  std::unique_ptr<auth::AuthService> service;
  std::unique_ptr<auth::UserService> user_service;
  std::unique_ptr<SecretBox> secret_box;
  std::unique_ptr<chatbots::SecretStore> secrets;
  std::unique_ptr<SystemSecrets> system_secrets;
  std::unique_ptr<chatbots::ChatbotRepository> chatbots;
  std::unique_ptr<chatbots::ChatbotService> chatbot_service;
  std::unique_ptr<auth::ApiKeyRepository> api_keys;
  std::unique_ptr<chatbots::ApiKeyService> api_key_service;
};

// Outgoing webhooks: their store, the service (also the EventSink of the other features) and the
// background deliverer.
struct WebhookParts {
  std::unique_ptr<webhooks::WebhookRepository> repository;
  std::unique_ptr<webhooks::WebhookService> service;
  std::unique_ptr<webhooks::WebhookDeliverer> deliverer;
  std::unique_ptr<webhooks::WebhookRoutesDeps> routes;
};

// Widget chat sessions and their history; the answer pipeline and feedback.
struct ChatParts {
  std::unique_ptr<chat::ChatSessionRepository> sessions;
  std::unique_ptr<chat::ChatSessionService> service;
  std::unique_ptr<chat::ChatRoutesDeps> routes;
  std::unique_ptr<chat::MessageRepository> messages;
  std::unique_ptr<ai::ExtractiveAnswerer> extractive;
  std::unique_ptr<ChatRuntime> runtime;  // before the models, which run on it
  std::unique_ptr<chat::ChatModelRegistry> models;
  std::unique_ptr<chat::AnswerService> answers;
  std::unique_ptr<chat::FeedbackService> feedback;
  std::unique_ptr<chat::AnswerRoutesDeps> answer_routes;
};

// Scraping: sources, the crawler, the crawl jobs (on the knowledge job queue, run by a worker of
// their own so that long crawls never hold up ingestion) and the re-crawl scheduler.
struct ScrapingParts {
  std::unique_ptr<scraping::ScrapingRepository> repository;
  std::unique_ptr<scraping::Crawler> crawler;
  std::unique_ptr<scraping::CrawlJob> crawls;
  std::unique_ptr<jobs::JobWorker> worker;
  std::unique_ptr<scraping::CrawlScheduler> scheduler;
  std::unique_ptr<scraping::ScrapingService> service;
  std::unique_ptr<scraping::ScrapingRoutesDeps> routes;
};

// Rate limiting: the backend (in process, or Redis behind the failure policy) and the limits.
struct RateLimitParts {
  std::unique_ptr<ratelimit::MemoryRateLimiter> memory;
  std::unique_ptr<ratelimit::RedisRateLimiter> redis;
  std::unique_ptr<ratelimit::FailurePolicyRateLimiter> guarded;
  ratelimit::RateLimiter* limiter = nullptr;  // the one to use
  ratelimit::RequestLimits limits;
  std::unique_ptr<ops::DependencyCheck> redis_check;
};

class Application {
 public:
  // Opens the database, applies migrations (when configured), registers the routes and binds the
  // listening socket. `config` and `logger` must outlive the application.
  static Result<std::unique_ptr<Application>> Create(const Config& config, Logger& logger);
  ~Application();

  uint16_t port() const { return server_->port(); }
  storage::Database& database() { return *db_; }
  auth::AuthService& auth() { return *auth_.service; }
  chatbots::SecretStore& secrets() { return *auth_.secrets; }
  SystemSecrets& system_secrets() { return *auth_.system_secrets; }
  webhooks::WebhookService& webhooks() { return *webhooks_.service; }
  webhooks::WebhookDeliverer& webhook_deliverer() { return *webhooks_.deliverer; }
  KnowledgeParts& knowledge() { return knowledge_; }
  // Routes may be added until Start().
  http::Router& router() { return router_; }

  // Starts serving and the background workers (webhook deliveries, crawls, knowledge jobs).
  void Start();
  void RunUntilSignal();
  void Shutdown() { server_->Shutdown(); }
  void Wait() { server_->Wait(); }

 private:
  Application(const Config& config, Logger& logger);
  Status BuildRateLimits();
  Status BuildAuth();
  void BuildWebhooks();
  void BuildScraping();
  void StartScraping();
  void StopScraping();
  void RegisterRoutes();

  const Config& config_;
  Logger& logger_;
  RealClock clock_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<BoundedWorkerPool> password_workers_;
  std::unique_ptr<validation::Validator> validator_;
  ops::Metrics metrics_;
  std::unique_ptr<ops::DatabaseCheck> db_check_;
  std::unique_ptr<ops::PasswordPoolCheck> password_check_;
  std::unique_ptr<ops::OpsDeps> ops_deps_;
  RateLimitParts rate_;
  EventRelay events_;
  std::unique_ptr<outbound::CurlHttpClient> http_client_;
  AuthParts auth_;
  WebhookParts webhooks_;
  ChatParts chat_;
  ScrapingParts scraping_;
  KnowledgeParts knowledge_;
  std::unique_ptr<outbound::SmtpMailer> mailer_;  // null without smtp.url
  std::string smtp_password_;                     // opened when given sealed
  std::unique_ptr<auth::Guard> guard_;
  std::unique_ptr<chatbots::WidgetGuard> widget_guard_;
  std::unique_ptr<chatbots::ApiKeyRoutesDeps> api_key_routes_;
  std::unique_ptr<auth::AuthRoutesDeps> auth_routes_;
  std::unique_ptr<auth::UserRoutesDeps> user_routes_;
  std::unique_ptr<chatbots::ChatbotRoutesDeps> chatbot_routes_;
  http::Router router_;
  std::unique_ptr<http::Pipeline> pipeline_;
  std::unique_ptr<http::Server> server_;
};

// Associated data of a sealed SMTP password (see `studybot secrets seal`).
inline constexpr std::string_view kSealedSmtpPassword = "config:smtp.password";

// DatabaseOptions from the config.
storage::DatabaseOptions DatabaseOptionsFrom(const Config& config);

// The secret box from encryption_key; in development without one, the keyring kept in
// <data_dir>/encryption_key (created on first use).
Result<SecretBox> SecretBoxFrom(const Config& config);

// The JWT options from the config; in development without a secret, the one kept in
// <data_dir>/jwt_secret (created on first use).
Result<auth::JwtOptions> JwtOptionsFrom(const Config& config);

}  // namespace studybot::app
