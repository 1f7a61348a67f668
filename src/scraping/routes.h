// /api/scraping (seed 7.5): a chatbot's URLs, crawl triggers and their status.
#pragma once

#include "auth/guard.h"
#include "core/worker_pool.h"
#include "http/router.h"
#include "scraping/service.h"
#include "validation/validator.h"

namespace studybot::scraping {

struct ScrapingRoutesDeps {
  ScrapingService& service;
  auth::Guard& guard;
  WorkerPool& workers;
  const validation::Validator& validator;
};

// `deps` must outlive the router.
void RegisterScrapingRoutes(http::Router& router, const ScrapingRoutesDeps& deps);

}  // namespace studybot::scraping
