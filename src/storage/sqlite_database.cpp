#include "storage/sqlite_database.h"

#include <sqlite3.h>

#include <filesystem>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace studybot::storage {
namespace {

// Dynamic SQL (IN lists of varying length) could grow the cache without bound; past this many
// statements the cache is emptied and refilled by what is in use.
constexpr std::size_t kMaxCachedStatements = 256;

bool IsConnectionFailure(int rc) {
  switch (rc & 0xff) {
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_CANTOPEN:
      return true;
    default:
      return false;
  }
}

std::string Abbreviate(std::string_view sql) {
  constexpr std::size_t kMax = 160;
  if (sql.size() <= kMax) return std::string(sql);
  return std::string(sql.substr(0, kMax)) + "...";
}

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : statements_)
      sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Dialect dialect() const override { return Dialect::kSqlite; }

  Result<ExecResult> Execute(std::string_view sql, const std::vector<Value>& params) override {
    auto run = Run(sql, params, nullptr);
    if (!run.ok()) return std::move(run).error();
    ExecResult r;
    r.affected_rows = sqlite3_changes64(db_);
    r.last_insert_id = sqlite3_last_insert_rowid(db_);
    return r;
  }

  Result<Rows> Query(std::string_view sql, const std::vector<Value>& params) override {
    Rows rows;
    auto run = Run(sql, params, &rows);
    if (!run.ok()) return std::move(run).error();
    return rows;
  }

  Status ExecuteScript(std::string_view sql) override {
    if (broken_) return BrokenError();
    std::string text(sql);  // sqlite3_exec needs a NUL-terminated string
    char* msg = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &msg);
    if (rc == SQLITE_OK) return OkStatus();
    std::string what = msg != nullptr ? msg : sqlite3_errstr(rc);
    sqlite3_free(msg);
    return MapError(rc, "sqlite script: " + what);
  }

  Status Begin() override { return Simple("BEGIN IMMEDIATE"); }
  Status Commit() override { return Simple("COMMIT"); }
  Status Rollback() override {
    if (sqlite3_get_autocommit(db_) != 0) return OkStatus();  // nothing to roll back
    return Simple("ROLLBACK");
  }

  bool Ping() override {
    if (broken_) return false;
    auto r = Query("SELECT 1", {});
    return r.ok();
  }

  bool broken() const override { return broken_; }
  bool in_transaction() const override { return sqlite3_get_autocommit(db_) == 0; }

  // Runs PRAGMAs at open time; they return rows that are ignored.
  Status Configure(const SqliteOptions& options) {
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, static_cast<int>(options.busy_timeout.count()));
    for (const char* pragma :
         {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
      auto r = Query(pragma, {});
      if (!r.ok()) return std::move(r).error();
    }
    return OkStatus();
  }

 private:
  static Error BrokenError() {
    return Error::Unavailable("sqlite connection is unusable after an I/O failure");
  }

  Error MapError(int rc, std::string message) {
    if (IsConnectionFailure(rc)) broken_ = true;
    switch (rc & 0xff) {
      case SQLITE_CONSTRAINT:
        return Error::Conflict(std::move(message));
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return Error::Unavailable(std::move(message));
      default:
        if (broken_) return Error::Unavailable(std::move(message));
        return Error::Internal(std::move(message));
    }
  }

  Status Simple(std::string_view sql) {
    auto r = Run(sql, {}, nullptr);
    if (!r.ok()) return std::move(r).error();
    return OkStatus();
  }

  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    auto it = statements_.find(std::string(sql));
    if (it != statements_.end()) return it->second;
    if (statements_.size() >= kMaxCachedStatements) {
      for (auto& [text, stmt] : statements_)
        sqlite3_finalize(stmt);
      statements_.clear();
    }
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) {
      return MapError(
          rc, std::string("sqlite prepare: ") + sqlite3_errmsg(db_) + " in: " + Abbreviate(sql));
    }
    if (stmt == nullptr) return Error::Internal("sqlite prepare: empty statement");
    if (tail != nullptr && !Trimmed(std::string_view(tail, sql.data() + sql.size() - tail))) {
      sqlite3_finalize(stmt);
      return Error::Internal("sqlite prepare: more than one statement in: " + Abbreviate(sql));
    }
    statements_.emplace(std::string(sql), stmt);
    return stmt;
  }

  static bool Trimmed(std::string_view rest) {
    for (char c : rest) {
      if (c != ' ' && c != '\n' && c != '\t' && c != '\r' && c != ';') return false;
    }
    return true;
  }

  int Bind(sqlite3_stmt* stmt, const std::vector<Value>& params) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i + 1);
      int rc = SQLITE_OK;
      const Value& v = params[i];
      if (std::holds_alternative<std::monostate>(v)) {
        rc = sqlite3_bind_null(stmt, idx);
      } else if (const auto* n = std::get_if<int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, idx, *n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(stmt, idx, *d);
      } else {
        const auto& s = std::get<std::string>(v);
        // SQLITE_STATIC: the bindings are cleared before `params` can go away.
        rc = sqlite3_bind_text64(stmt, idx, s.data(), s.size(), SQLITE_STATIC, SQLITE_UTF8);
      }
      if (rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
  }

  static Value ColumnValue(sqlite3_stmt* stmt, int i) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_INTEGER:
        return static_cast<int64_t>(sqlite3_column_int64(stmt, i));
      case SQLITE_FLOAT:
        return sqlite3_column_double(stmt, i);
      case SQLITE_NULL:
        return std::monostate{};
      case SQLITE_BLOB: {
        const void* p = sqlite3_column_blob(stmt, i);
        int n = sqlite3_column_bytes(stmt, i);
        return std::string(static_cast<const char*>(p), static_cast<std::size_t>(n));
      }
      default: {
        const unsigned char* p = sqlite3_column_text(stmt, i);
        int n = sqlite3_column_bytes(stmt, i);
        if (p == nullptr) return std::string();
        return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
      }
    }
  }

  // Prepares (or reuses), binds, steps to the end, and resets the statement. Rows go to `out`
  // when it is not null.
  Status Run(std::string_view sql, const std::vector<Value>& params, Rows* out) {
    if (broken_) return BrokenError();
    auto prepared = Prepare(sql);
    if (!prepared.ok()) return std::move(prepared).error();
    sqlite3_stmt* stmt = prepared.value();
    int expected = sqlite3_bind_parameter_count(stmt);
    if (expected != static_cast<int>(params.size())) {
      return Error::Internal("sqlite: statement takes " + std::to_string(expected) +
                             " parameters, got " + std::to_string(params.size()) +
                             " in: " + Abbreviate(sql));
    }
    struct Cleanup {
      sqlite3_stmt* s;
      ~Cleanup() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } cleanup{stmt};
    int rc = Bind(stmt, params);
    if (rc != SQLITE_OK) {
      return MapError(rc, std::string("sqlite bind: ") + sqlite3_errmsg(db_));
    }
    if (out != nullptr) {
      int n = sqlite3_column_count(stmt);
      out->columns.clear();
      for (int i = 0; i < n; ++i)
        out->columns.emplace_back(sqlite3_column_name(stmt, i));
    }
    while (true) {
      rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        return MapError(rc,
                        std::string("sqlite: ") + sqlite3_errmsg(db_) + " in: " + Abbreviate(sql));
      }
      if (out == nullptr) continue;
      Row row;
      int n = sqlite3_column_count(stmt);
      row.values.reserve(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i)
        row.values.push_back(ColumnValue(stmt, i));
      out->rows.push_back(std::move(row));
    }
    return OkStatus();
  }

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
  bool broken_ = false;
};

}  // namespace

const char* SqliteLibraryVersion() {
  return sqlite3_libversion();
}

Result<std::unique_ptr<Connection>> OpenSqliteConnection(const SqliteOptions& options) {
  if (options.path.empty()) return Error::InvalidArgument("sqlite: empty database path");
  if (options.path != ":memory:") {
    std::filesystem::path parent = std::filesystem::path(options.path).parent_path();
    if (!parent.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec) {
        return Error::Unavailable("sqlite: cannot create directory " + parent.string() + ": " +
                                  ec.message());
      }
    }
  }
  sqlite3* db = nullptr;
  // NOMUTEX: a connection is used by one thread at a time (the pool guarantees it).
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(options.path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Error::Unavailable("sqlite: cannot open " + options.path + ": " + msg);
  }
  auto conn = std::make_unique<SqliteConnection>(db);
  auto configured = conn->Configure(options);
  if (!configured.ok()) {
    Error e = std::move(configured).error();
    e.message = "sqlite: cannot configure " + options.path + ": " + e.message;
    if (e.code == ErrorCode::kInternal) e.code = ErrorCode::kUnavailable;
    return e;
  }
  return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace studybot::storage
