// /api/users (system admins only) and /api/audit-logs.
#pragma once

#include "auth/guard.h"
#include "auth/user_service.h"
#include "core/bounded_worker_pool.h"
#include "core/worker_pool.h"
#include "http/router.h"
#include "validation/validator.h"

namespace studybot::auth {

struct UserRoutesDeps {
  UserService& users;
  AuditLog& audit;
  Guard& guard;
  WorkerPool& workers;
  BoundedWorkerPool& password_workers;  // user creation and password changes hash
  const validation::Validator& validator;
};

// `deps` must outlive the router.
void RegisterUserRoutes(http::Router& router, const UserRoutesDeps& deps);

}  // namespace studybot::auth
