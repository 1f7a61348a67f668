// Readiness: the checks behind GET /ready. Each dependency the server needs (the database, and
// later Redis, the search engine, the model provider) registers one check.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/bounded_worker_pool.h"
#include "core/result.h"

namespace studybot::storage {
class Database;
}

namespace studybot::ops {

// One dependency check. Check() blocks (it runs on the worker pool) and must bound its own wait.
class DependencyCheck {
 public:
  virtual ~DependencyCheck() = default;
  virtual std::string name() const = 0;
  // On success, facts worth showing (e.g. the schema version); on failure, why.
  virtual Result<boost::json::object> Check() = 0;
};

// Runs a trivial query and reports the dialect and the schema version.
class DatabaseCheck final : public DependencyCheck {
 public:
  explicit DatabaseCheck(storage::Database& db) : db_(db) {}
  std::string name() const override { return "database"; }
  Result<boost::json::object> Check() override;

 private:
  storage::Database& db_;
};

// The password hashing pool's load. Never fails: a saturated pool means sign-ins are being
// turned away (503), not that this node cannot serve, so it shows "saturated" with /ready
// still 200, for dashboards and alerts rather than for load balancers.
class PasswordPoolCheck final : public DependencyCheck {
 public:
  explicit PasswordPoolCheck(const BoundedWorkerPool& pool) : pool_(pool) {}
  std::string name() const override { return "password_hashing"; }
  Result<boost::json::object> Check() override {
    auto load = pool_.Load();
    return boost::json::object{{"status", load.saturated ? "saturated" : "ok"},
                               {"active", load.active},
                               {"queued", load.queued},
                               {"capacity", load.capacity},
                               {"refused_total", pool_.Refused()}};
  }

 private:
  const BoundedWorkerPool& pool_;
};

}  // namespace studybot::ops
