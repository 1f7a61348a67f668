// Migrator: brings a database's schema up to date with the migrations compiled into the binary,
// and reports which are applied (`studybot migrate --status`).
//
// Applied migrations are recorded in schema_migrations(version, name, applied_at). Several nodes
// may start at once; each migration is still applied exactly once:
//   - SQLite: every migration runs inside `BEGIN IMMEDIATE` together with the check of what is
//     applied, so it is atomic (SQLite DDL is transactional) and serialised with other migrators.
//     A second process waits up to the busy timeout for the first.
//   - MySQL: DDL commits implicitly, so the migrator holds GET_LOCK on its connection (one lock per
//     database name) across check and apply. A failed migration may leave part of its DDL behind;
//     MySQL migrations therefore use IF NOT EXISTS where they can, so a fixed rerun goes through.
// Migration scripts must not contain BEGIN/COMMIT themselves.
//
// Thread-safe: Migrate and GetStatus may be called concurrently (they serialise on the database).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/result.h"
#include "storage/database.h"
#include "storage/embedded_migrations.h"

namespace studybot::storage {

struct MigrationInfo {
  int version = 0;
  std::string name;
  std::string applied_at;  // RFC 3339 UTC; "" while pending
};

struct MigrationStatus {
  // Ascending by version. May include versions this binary does not know (a newer binary ran).
  std::vector<MigrationInfo> applied;
  // Known to this binary, not applied yet; ascending.
  std::vector<MigrationInfo> pending;
};

struct MigratorOptions {
  // MySQL: how long to wait for another node's migration to finish before kUnavailable.
  std::chrono::seconds lock_timeout{120};
};

class Migrator {
 public:
  // Uses the migrations compiled into the binary for db's dialect. `db` must outlive this.
  explicit Migrator(Database& db, MigratorOptions options = {});
  // Uses `migrations` (those of db's dialect) instead; for tests.
  Migrator(Database& db, std::vector<EmbeddedMigration> migrations, MigratorOptions options = {});

  // Applies every pending migration in version order; returns the versions this call applied
  // (empty when up to date). Stops at the first failure with an error naming the migration.
  Result<std::vector<int>> Migrate();

  Result<MigrationStatus> GetStatus();

 private:
  Result<std::vector<int>> MigrateSqlite(Connection& conn);
  Result<std::vector<int>> MigrateMysql(Connection& conn);
  Status ApplyOne(Connection& conn, const EmbeddedMigration& m);
  const EmbeddedMigration* FirstPending(const std::vector<int>& applied) const;

  Database& db_;
  std::vector<EmbeddedMigration> migrations_;  // this dialect's, ascending by version
  MigratorOptions options_;
};

}  // namespace studybot::storage
