#include "ops/readiness.h"

#include "storage/database.h"

namespace studybot::ops {

Result<boost::json::object> DatabaseCheck::Check() {
  auto rows = db_.Query("SELECT MAX(version) FROM schema_migrations");
  if (!rows.ok()) return rows.error();
  boost::json::object o;
  o["dialect"] = storage::DialectName(db_.dialect());
  o["schema_version"] = rows->empty() ? 0 : rows->rows[0].GetInt(0);
  return o;
}

}  // namespace studybot::ops
