#include "app/application.h"

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

Application::Application(const Config& config, Logger& logger) : config_(config), logger_(logger) {}

Application::~Application() {
  // The server goes first: no request may run against parts that are being torn down.
  server_.reset();
  if (workers_) workers_->Stop();
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
  app->db_check_ = std::make_unique<ops::DatabaseCheck>(*app->db_);
  app->ops_deps_ = std::make_unique<ops::OpsDeps>(
      ops::OpsDeps{app->metrics_, *app->workers_, {app->db_check_.get()}});
  ops::RegisterOpsRoutes(app->router_, *app->ops_deps_);

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
