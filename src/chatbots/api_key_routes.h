// /api/chatbots/:id/api-keys: creating, listing and revoking a chatbot's API keys.
#pragma once

#include "auth/guard.h"
#include "chatbots/api_key_service.h"
#include "core/worker_pool.h"
#include "http/router.h"
#include "validation/validator.h"

namespace studybot::chatbots {

struct ApiKeyRoutesDeps {
  ApiKeyService& keys;
  auth::Guard& guard;
  WorkerPool& workers;
  const validation::Validator& validator;
};

// `deps` must outlive the router.
void RegisterApiKeyRoutes(http::Router& router, const ApiKeyRoutesDeps& deps);

}  // namespace studybot::chatbots
