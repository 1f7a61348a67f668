// Database: one repository-facing API over two SQL dialects (SQLite and MySQL/MariaDB).
//
// Why not SOCI: its MySQL backend emulates prepared statements by escaping values into the SQL
// text. We want real server-side prepared statements on both engines, so this thin layer talks to
// the sqlite3 C API and the MariaDB Connector/C statement API directly.
//
// Statements use `?` placeholders on both dialects; values are always bound, never spliced.
//
// Thread safety: a Connection is used by one thread at a time (the pool hands it out exclusively).
// Database (the pool) is thread-safe. All calls block: call them from the worker pool, never from
// an I/O thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace studybot::storage {

enum class Dialect { kSqlite, kMysql };

const char* DialectName(Dialect d);

// A bound parameter or a column value. NULL is std::monostate.
using Value = std::variant<std::monostate, int64_t, double, std::string>;

// NULL for "", the text otherwise: optional text columns.
inline Value OrNull(const std::string& s) {
  return s.empty() ? Value() : Value(s);
}

struct Row {
  std::vector<Value> values;

  bool IsNull(std::size_t i) const { return std::holds_alternative<std::monostate>(values.at(i)); }
  // Text of a column (numbers are formatted); "" for NULL.
  std::string GetString(std::size_t i) const;
  // Integer value of a column (text is parsed); 0 for NULL.
  int64_t GetInt(std::size_t i) const;
  double GetDouble(std::size_t i) const;
  std::optional<std::string> GetOptionalString(std::size_t i) const;
};

struct Rows {
  std::vector<std::string> columns;
  std::vector<Row> rows;

  bool empty() const { return rows.empty(); }
  std::size_t size() const { return rows.size(); }
};

struct ExecResult {
  int64_t affected_rows = 0;
  int64_t last_insert_id = 0;
};

// Errors returned by connections:
//   kConflict     a unique or foreign-key constraint was violated
//   kUnavailable  the server is unreachable, the lock wait timed out, the pool is exhausted
//   kInternal     anything else (bad SQL is a programmer error; the message is for logs only)
class Connection {
 public:
  virtual ~Connection() = default;

  virtual Dialect dialect() const = 0;
  // Runs one statement with `?` placeholders bound to `params`. Prepared statements are cached per
  // connection by their SQL text.
  virtual Result<ExecResult> Execute(std::string_view sql,
                                     const std::vector<Value>& params = {}) = 0;
  virtual Result<Rows> Query(std::string_view sql, const std::vector<Value>& params = {}) = 0;
  // Runs several `;`-separated statements without parameters. For migrations only.
  virtual Status ExecuteScript(std::string_view sql) = 0;

  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;

  // True when the connection still works (used by the pool before handing it out).
  virtual bool Ping() = 0;

  // True once a connection-level failure was seen (server gone, I/O error): every later call fails
  // with kUnavailable and the pool drops the connection instead of reusing it.
  virtual bool broken() const = 0;
  // True between Begin() and Commit()/Rollback().
  virtual bool in_transaction() const = 0;
};

class Database;

// A connection borrowed from the pool; it goes back when this handle is destroyed. A connection
// that saw a connection-level failure is dropped instead of being returned.
class PooledConnection {
 public:
  PooledConnection(Database* owner, std::unique_ptr<Connection> conn);
  PooledConnection(PooledConnection&& other) noexcept;
  PooledConnection& operator=(PooledConnection&&) = delete;
  PooledConnection(const PooledConnection&) = delete;
  ~PooledConnection();

  Connection* operator->() { return conn_.get(); }
  Connection& operator*() { return *conn_; }
  Connection* get() { return conn_.get(); }

 private:
  Database* owner_;
  std::unique_ptr<Connection> conn_;
};

struct DatabaseOptions {
  // sqlite:PATH (also sqlite:///abs/path) or mysql://user:pass@host:port/db[?socket=/path]
  // (mariadb:// is accepted too). User and password are URL-decoded.
  std::string url;
  // Most connections open at once; they are opened lazily.
  int pool_size = 8;
  // SQLite: how long a writer waits for a lock before kUnavailable.
  std::chrono::milliseconds busy_timeout{5'000};
  // How long Acquire waits for a free connection before kUnavailable.
  std::chrono::milliseconds acquire_timeout{5'000};
  // A pooled connection idle for longer than this is pinged before it is handed out (a server
  // may have closed it: wait_timeout, failover). Zero pings on every Acquire.
  std::chrono::milliseconds idle_ping_after{30'000};
  // MySQL: how long connecting may take (TCP + handshake + TLS).
  std::chrono::milliseconds connect_timeout{5'000};
  // MySQL TLS: disabled, preferred, required, verify_ca or verify_identity.
  std::string mysql_ssl_mode = "preferred";
  // MySQL TLS: CA bundle for verify_ca / verify_identity.
  std::string mysql_ssl_ca;
};

// The connection pool. Thread-safe. Every PooledConnection must be destroyed before the Database.
class Database {
 public:
  // Opens the first connection to check the URL and credentials; fails with a message that names
  // the problem (never the password).
  static Result<std::unique_ptr<Database>> Open(const DatabaseOptions& options);
  ~Database();

  Dialect dialect() const;
  // Hands out a free connection, opening one if fewer than pool_size are open. A connection that
  // sat idle longer than idle_ping_after is pinged first and replaced if dead. Fails with
  // kUnavailable when none frees up within acquire_timeout or a new connection cannot be opened.
  Result<PooledConnection> Acquire();

  // One statement on a pooled connection (outside any transaction): Acquire, run, release.
  Result<Rows> Query(std::string_view sql, const std::vector<Value>& params = {});
  Result<ExecResult> Execute(std::string_view sql, const std::vector<Value>& params = {});
  // Execute when only success matters.
  Status Write(std::string_view sql, const std::vector<Value>& params = {});
  // Connections currently open (idle + in use). For tests and metrics.
  int OpenConnectionCount() const;

  // Runs `fn` inside a transaction: commit when it returns ok, roll back otherwise.
  template <typename T>
  Result<T> InTransaction(const std::function<Result<T>(Connection&)>& fn);

  // Implementation detail of PooledConnection: returns the connection to the pool, or drops it
  // when it is broken (a transaction left open is rolled back first).
  void Release(std::unique_ptr<Connection> conn);

 private:
  struct Impl;
  explicit Database(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

template <typename T>
Result<T> Database::InTransaction(const std::function<Result<T>(Connection&)>& fn) {
  auto conn = Acquire();
  if (!conn.ok()) return std::move(conn).error();
  auto& c = *conn.value();
  auto begun = c.Begin();
  if (!begun.ok()) return std::move(begun).error();
  Result<T> r = fn(c);
  if (!r.ok()) {
    (void)c.Rollback();
    return r;
  }
  auto committed = c.Commit();
  if (!committed.ok()) {
    (void)c.Rollback();
    return std::move(committed).error();
  }
  return r;
}

}  // namespace studybot::storage
