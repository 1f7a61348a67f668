// /api/chatbots/:id/webhooks: a chatbot's outgoing webhooks, their secrets and deliveries.
#pragma once

#include "auth/guard.h"
#include "core/worker_pool.h"
#include "http/router.h"
#include "validation/validator.h"
#include "webhooks/service.h"

namespace studybot::webhooks {

struct WebhookRoutesDeps {
  WebhookService& service;
  auth::Guard& guard;
  WorkerPool& workers;
  const validation::Validator& validator;
};

// `deps` must outlive the router.
void RegisterWebhookRoutes(http::Router& router, const WebhookRoutesDeps& deps);

}  // namespace studybot::webhooks
