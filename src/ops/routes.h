// The operational routes: GET /health (liveness), GET /ready (dependencies), GET /metrics.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "core/worker_pool.h"
#include "http/router.h"
#include "ops/metrics.h"
#include "ops/readiness.h"

namespace studybot::ops {

struct OpsDeps {
  Metrics& metrics;
  WorkerPool& workers;
  std::vector<DependencyCheck*> checks;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

// `deps` must outlive the router.
void RegisterOpsRoutes(http::Router& router, const OpsDeps& deps);

}  // namespace studybot::ops
