#include "storage/database.h"

#include <charconv>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <utility>

#include "storage/mysql_database.h"
#include "storage/sqlite_database.h"

namespace studybot::storage {

const char* DialectName(Dialect d) {
  return d == Dialect::kSqlite ? "sqlite" : "mysql";
}

// ---- Row -------------------------------------------------------------------------------------

std::string Row::GetString(std::size_t i) const {
  const Value& v = values.at(i);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* n = std::get_if<int64_t>(&v)) return std::to_string(*n);
  if (const auto* d = std::get_if<double>(&v)) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *d);
    return ec == std::errc() ? std::string(buf, end) : std::string();
  }
  return {};
}

int64_t Row::GetInt(std::size_t i) const {
  const Value& v = values.at(i);
  if (const auto* n = std::get_if<int64_t>(&v)) return *n;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  if (const auto* s = std::get_if<std::string>(&v)) {
    int64_t out = 0;
    std::from_chars(s->data(), s->data() + s->size(), out);
    return out;
  }
  return 0;
}

double Row::GetDouble(std::size_t i) const {
  const Value& v = values.at(i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* n = std::get_if<int64_t>(&v)) return static_cast<double>(*n);
  if (const auto* s = std::get_if<std::string>(&v)) {
    double out = 0;
    std::from_chars(s->data(), s->data() + s->size(), out);
    return out;
  }
  return 0;
}

std::optional<std::string> Row::GetOptionalString(std::size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return GetString(i);
}

// ---- PooledConnection ------------------------------------------------------------------------

PooledConnection::PooledConnection(Database* owner, std::unique_ptr<Connection> conn)
    : owner_(owner), conn_(std::move(conn)) {}

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : owner_(other.owner_), conn_(std::move(other.conn_)) {}

PooledConnection::~PooledConnection() {
  if (conn_ != nullptr) owner_->Release(std::move(conn_));
}

// ---- Database --------------------------------------------------------------------------------

namespace {

struct Target {
  Dialect dialect;
  SqliteOptions sqlite;
  MysqlOptions mysql;
};

Result<Target> ParseTarget(const DatabaseOptions& options) {
  const std::string& url = options.url;
  Target t{};
  if (url.rfind("sqlite:", 0) == 0) {
    t.dialect = Dialect::kSqlite;
    std::string path = url.substr(7);
    if (path.rfind("//", 0) == 0) path = path.substr(2);  // sqlite:///abs/path
    if (path.empty()) return Error::InvalidArgument("database url: sqlite: needs a file path");
    t.sqlite.path = path;
    t.sqlite.busy_timeout = options.busy_timeout;
    return t;
  }
  if (url.rfind("mysql://", 0) == 0 || url.rfind("mariadb://", 0) == 0) {
    auto parsed = ParseMysqlUrl(url);
    if (!parsed.ok()) return std::move(parsed).error();
    t.dialect = Dialect::kMysql;
    t.mysql.url = std::move(parsed.value());
    t.mysql.ssl_mode = options.mysql_ssl_mode;
    t.mysql.ssl_ca = options.mysql_ssl_ca;
    t.mysql.connect_timeout = options.connect_timeout;
    return t;
  }
  return Error::InvalidArgument("database url: expected sqlite:PATH or mysql://user:pass@host/db");
}

}  // namespace

struct Database::Impl {
  using Clock = std::chrono::steady_clock;
  struct Idle {
    std::unique_ptr<Connection> conn;
    Clock::time_point since;
  };

  DatabaseOptions options;
  Target target;

  mutable std::mutex mu;
  std::condition_variable freed;  // signalled when a connection is returned or dropped
  std::deque<Idle> idle;          // GUARDED_BY(mu); most recently used at the back
  int open = 0;                   // GUARDED_BY(mu); idle + handed out + being opened

  Result<std::unique_ptr<Connection>> OpenConnection() const {
    if (target.dialect == Dialect::kSqlite) return OpenSqliteConnection(target.sqlite);
    return OpenMysqlConnection(target.mysql);
  }

  void Drop(std::unique_ptr<Connection> conn) {
    {
      std::lock_guard<std::mutex> lock(mu);
      --open;
    }
    freed.notify_one();
    conn.reset();  // closing may block on the network: outside the lock
  }
};

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Database::~Database() = default;

Result<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  if (options.pool_size < 1) return Error::InvalidArgument("database.pool_size must be >= 1");
  auto target = ParseTarget(options);
  if (!target.ok()) return std::move(target).error();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->target = std::move(target.value());
  auto first = impl->OpenConnection();
  if (!first.ok()) return std::move(first).error();
  impl->idle.push_back({std::move(first.value()), Impl::Clock::now()});
  impl->open = 1;
  return std::unique_ptr<Database>(new Database(std::move(impl)));
}

Dialect Database::dialect() const {
  return impl_->target.dialect;
}

int Database::OpenConnectionCount() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->open;
}

Result<PooledConnection> Database::Acquire() {
  Impl& p = *impl_;
  const auto deadline = Impl::Clock::now() + p.options.acquire_timeout;
  std::unique_lock<std::mutex> lock(p.mu);
  while (true) {
    if (!p.idle.empty()) {
      Impl::Idle got = std::move(p.idle.back());
      p.idle.pop_back();
      lock.unlock();
      bool stale = Impl::Clock::now() - got.since >= p.options.idle_ping_after;
      if (!stale || got.conn->Ping()) return PooledConnection(this, std::move(got.conn));
      p.Drop(std::move(got.conn));  // dead: fall through to open a replacement
      lock.lock();
      continue;
    }
    if (p.open < p.options.pool_size) {
      ++p.open;
      lock.unlock();
      auto conn = p.OpenConnection();
      if (!conn.ok()) {
        lock.lock();
        --p.open;
        lock.unlock();
        p.freed.notify_one();
        Error e = std::move(conn).error();
        if (e.code == ErrorCode::kInternal) e.code = ErrorCode::kUnavailable;
        return e;
      }
      return PooledConnection(this, std::move(conn.value()));
    }
    if (p.freed.wait_until(lock, deadline) == std::cv_status::timeout && p.idle.empty() &&
        p.open >= p.options.pool_size) {
      return Error::Unavailable("database pool exhausted: no connection freed up within " +
                                std::to_string(p.options.acquire_timeout.count()) + " ms");
    }
  }
}

void Database::Release(std::unique_ptr<Connection> conn) {
  if (conn == nullptr) return;
  Impl& p = *impl_;
  // A transaction left open (an early return between Begin and Commit) must not leak its locks
  // and half-written rows into the next borrower.
  if (!conn->broken() && conn->in_transaction()) (void)conn->Rollback();
  if (conn->broken() || conn->in_transaction()) {
    p.Drop(std::move(conn));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(p.mu);
    p.idle.push_back({std::move(conn), Impl::Clock::now()});
  }
  p.freed.notify_one();
}

Result<Rows> Database::Query(std::string_view sql, const std::vector<Value>& params) {
  auto conn = Acquire();
  if (!conn.ok()) return std::move(conn).error();
  return (*conn)->Query(sql, params);
}

Result<ExecResult> Database::Execute(std::string_view sql, const std::vector<Value>& params) {
  auto conn = Acquire();
  if (!conn.ok()) return std::move(conn).error();
  return (*conn)->Execute(sql, params);
}

Status Database::Write(std::string_view sql, const std::vector<Value>& params) {
  auto r = Execute(sql, params);
  if (!r.ok()) return std::move(r).error();
  return OkStatus();
}

}  // namespace studybot::storage
