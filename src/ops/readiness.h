// Readiness: the checks behind GET /ready. Each dependency the server needs (the database, and
// later Redis, the search engine, the model provider) registers one check.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

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

}  // namespace studybot::ops
