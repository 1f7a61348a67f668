// Application: builds every long-lived object from the Config (the composition list) and owns
// them in dependency order. main.cpp and the integration tests both go through it.
#pragma once

#include <memory>

#include "core/config.h"
#include "core/log.h"
#include "core/result.h"
#include "core/worker_pool.h"
#include "http/pipeline.h"
#include "http/router.h"
#include "http/server.h"
#include "ops/metrics.h"
#include "ops/readiness.h"
#include "ops/routes.h"
#include "storage/database.h"

namespace studybot::app {

class Application {
 public:
  // Opens the database, applies migrations (when configured), registers the routes and binds the
  // listening socket. `config` and `logger` must outlive the application.
  static Result<std::unique_ptr<Application>> Create(const Config& config, Logger& logger);
  ~Application();

  uint16_t port() const { return server_->port(); }
  storage::Database& database() { return *db_; }
  // Routes may be added until Start().
  http::Router& router() { return router_; }

  void Start() { server_->Start(); }
  void RunUntilSignal() { server_->RunUntilSignal(); }
  void Shutdown() { server_->Shutdown(); }
  void Wait() { server_->Wait(); }

 private:
  Application(const Config& config, Logger& logger);

  const Config& config_;
  Logger& logger_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<WorkerPool> workers_;
  ops::Metrics metrics_;
  std::unique_ptr<ops::DatabaseCheck> db_check_;
  std::unique_ptr<ops::OpsDeps> ops_deps_;
  http::Router router_;
  std::unique_ptr<http::Pipeline> pipeline_;
  std::unique_ptr<http::Server> server_;
};

// DatabaseOptions from the config.
storage::DatabaseOptions DatabaseOptionsFrom(const Config& config);

}  // namespace studybot::app
