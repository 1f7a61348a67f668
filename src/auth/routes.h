// The /api/auth routes: login, refresh, logout, me, sessions, password change and reset.
#pragma once

#include "auth/auth_service.h"
#include "auth/guard.h"
#include "core/bounded_worker_pool.h"
#include "core/config.h"
#include "core/log.h"
#include "core/worker_pool.h"
#include "http/router.h"
#include "outbound/mailer.h"
#include "ratelimit/rate_limiter.h"
#include "validation/validator.h"

namespace studybot::auth {

struct AuthRoutesDeps {
  AuthService& service;
  UserRepository& users;
  Guard& guard;
  WorkerPool& workers;
  // Where login, password change and reset run (they hash passwords).
  BoundedWorkerPool& password_workers;
  const validation::Validator& validator;
  const AuthConfig& config;
  Logger& logger;
  // Delivers password reset links. Null: links are written to the log when log_reset_links
  // (development), otherwise dropped with an error line.
  outbound::Mailer* mailer = nullptr;
  bool log_reset_links = false;
  // Limits on the unauthenticated routes (login, refresh, password forgot/reset): per client IP,
  // and reset mails per address. Null limiter: none.
  ratelimit::RateLimiter* limiter = nullptr;
  ratelimit::RateLimit per_ip;
};

// `deps` must outlive the router.
void RegisterAuthRoutes(http::Router& router, const AuthRoutesDeps& deps);

inline constexpr std::string_view kRefreshCookie = "studybot_refresh";

}  // namespace studybot::auth
