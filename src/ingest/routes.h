// /api/chatbots/:id/documents (seed 3.2) and /api/chatbots/:id/search: what a chatbot knows,
// for its admins.
#pragma once

#include "auth/guard.h"
#include "core/worker_pool.h"
#include "http/router.h"
#include "ingest/document_service.h"
#include "ingest/knowledge_search.h"
#include "validation/validator.h"

namespace studybot::ingest {

struct KnowledgeRoutesDeps {
  DocumentService& documents;
  KnowledgeSearch& search;
  auth::Guard& guard;
  WorkerPool& workers;
  const validation::Validator& validator;
};

// `deps` must outlive the router.
void RegisterKnowledgeRoutes(http::Router& router, const KnowledgeRoutesDeps& deps);

}  // namespace studybot::ingest
