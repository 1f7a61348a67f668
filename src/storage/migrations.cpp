#include "storage/migrations.h"

#include <algorithm>
#include <set>
#include <utility>

#include "core/time.h"

namespace studybot::storage {
namespace {

constexpr const char* kCreateSqlite =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL)";

constexpr const char* kCreateMysql =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INT NOT NULL PRIMARY KEY,"
    " name VARCHAR(255) NOT NULL,"
    " applied_at VARCHAR(32) NOT NULL"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

// GET_LOCK names are server-wide: scope the lock to this database so that two databases on one
// server migrate independently. Names are limited to 64 characters.
constexpr const char* kLockName = "LEFT(CONCAT('studybot_migrations.', DATABASE()), 64)";

std::vector<EmbeddedMigration> ForDialect(std::vector<EmbeddedMigration> all, Dialect d) {
  std::vector<EmbeddedMigration> out;
  for (auto& m : all) {
    if (m.dialect == DialectName(d)) out.push_back(m);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.version < b.version; });
  return out;
}

Result<std::vector<int>> AppliedVersions(Connection& conn) {
  auto rows = conn.Query("SELECT version FROM schema_migrations ORDER BY version");
  if (!rows.ok()) return std::move(rows).error();
  std::vector<int> out;
  for (const auto& r : rows->rows)
    out.push_back(static_cast<int>(r.GetInt(0)));
  return out;
}

Error Annotate(Error e, const std::string& context) {
  e.message = context + ": " + e.message;
  return e;
}

}  // namespace

Migrator::Migrator(Database& db, MigratorOptions options)
    : Migrator(db, EmbeddedMigrations(), options) {}

Migrator::Migrator(Database& db, std::vector<EmbeddedMigration> migrations, MigratorOptions options)
    : db_(db), migrations_(ForDialect(std::move(migrations), db.dialect())), options_(options) {}

const EmbeddedMigration* Migrator::FirstPending(const std::vector<int>& applied) const {
  for (const auto& m : migrations_) {
    if (std::find(applied.begin(), applied.end(), m.version) == applied.end()) return &m;
  }
  return nullptr;
}

Status Migrator::ApplyOne(Connection& conn, const EmbeddedMigration& m) {
  auto st = conn.ExecuteScript(m.sql);
  if (!st.ok()) return Annotate(std::move(st).error(), "migration " + std::string(m.name));
  auto rec =
      conn.Execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                   {int64_t{m.version}, std::string(m.name), FormatRfc3339Millis(SystemNow())});
  if (!rec.ok()) {
    return Annotate(std::move(rec).error(), "recording migration " + std::string(m.name));
  }
  return OkStatus();
}

Result<std::vector<int>> Migrator::Migrate() {
  auto conn = db_.Acquire();
  if (!conn.ok()) return std::move(conn).error();
  if (db_.dialect() == Dialect::kSqlite) return MigrateSqlite(*conn.value());
  return MigrateMysql(*conn.value());
}

Result<std::vector<int>> Migrator::MigrateSqlite(Connection& conn) {
  std::vector<int> done;
  while (true) {
    // The write lock is held from the check to the commit: another migrator waits here, then
    // sees this migration as applied.
    auto begun = conn.Begin();
    if (!begun.ok()) return Annotate(std::move(begun).error(), "migrations: taking the lock");
    auto created = conn.Execute(kCreateSqlite);
    auto applied = created.ok() ? AppliedVersions(conn) : Result<std::vector<int>>(created.error());
    if (!applied.ok()) {
      (void)conn.Rollback();
      return std::move(applied).error();
    }
    const EmbeddedMigration* next = FirstPending(applied.value());
    if (next == nullptr) {
      auto committed = conn.Commit();
      if (!committed.ok()) return std::move(committed).error();
      return done;
    }
    auto st = ApplyOne(conn, *next);
    if (st.ok()) st = conn.Commit();
    if (!st.ok()) {
      (void)conn.Rollback();
      return std::move(st).error();
    }
    done.push_back(next->version);
  }
}

Result<std::vector<int>> Migrator::MigrateMysql(Connection& conn) {
  auto locked = conn.Query(std::string("SELECT GET_LOCK(") + kLockName + ", ?)",
                           {int64_t{options_.lock_timeout.count()}});
  if (!locked.ok()) return Annotate(std::move(locked).error(), "migrations: taking the lock");
  if (locked->empty() || locked->rows[0].IsNull(0) || locked->rows[0].GetInt(0) != 1) {
    return Error::Unavailable("migrations: another node held the migration lock for more than " +
                              std::to_string(options_.lock_timeout.count()) + " s");
  }
  auto run = [&]() -> Result<std::vector<int>> {
    std::vector<int> done;
    auto created = conn.Execute(kCreateMysql);
    if (!created.ok()) return std::move(created).error();
    auto applied = AppliedVersions(conn);
    if (!applied.ok()) return std::move(applied).error();
    std::vector<int> versions = std::move(applied.value());
    while (const EmbeddedMigration* next = FirstPending(versions)) {
      auto st = ApplyOne(conn, *next);
      if (!st.ok()) return std::move(st).error();
      done.push_back(next->version);
      versions.push_back(next->version);
    }
    return done;
  };
  auto result = run();
  // If the connection died the server has released the lock already.
  (void)conn.Query(std::string("SELECT RELEASE_LOCK(") + kLockName + ")");
  return result;
}

Result<MigrationStatus> Migrator::GetStatus() {
  auto conn = db_.Acquire();
  if (!conn.ok()) return std::move(conn).error();
  Connection& c = *conn.value();
  const bool sqlite = db_.dialect() == Dialect::kSqlite;
  auto exists = c.Query(sqlite ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?"
                               : "SELECT table_name FROM information_schema.tables"
                                 " WHERE table_schema = DATABASE() AND table_name = ?",
                        {std::string("schema_migrations")});
  if (!exists.ok()) return std::move(exists).error();
  MigrationStatus status;
  std::set<int> applied;
  if (!exists->empty()) {
    auto rows = c.Query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
    if (!rows.ok()) return std::move(rows).error();
    for (const auto& r : rows->rows) {
      status.applied.push_back({static_cast<int>(r.GetInt(0)), r.GetString(1), r.GetString(2)});
      applied.insert(static_cast<int>(r.GetInt(0)));
    }
  }
  for (const auto& m : migrations_) {
    if (applied.count(m.version) == 0)
      status.pending.push_back({m.version, std::string(m.name), ""});
  }
  return status;
}

}  // namespace studybot::storage
