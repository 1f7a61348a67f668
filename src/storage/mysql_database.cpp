#include "storage/mysql_database.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <utility>
#include <vector>

namespace studybot::storage {
namespace {

constexpr std::size_t kMaxCachedStatements = 256;
// Result buffers start this large; longer values are fetched with mysql_stmt_fetch_column.
constexpr std::size_t kInitialColumnBuffer = 256;
// Bounds a read or write on a dead network path (a partition never sends a RST).
constexpr unsigned kIoTimeoutSeconds = 120;

enum class Failure { kConflict, kUnavailable, kBroken, kInternal };

Failure Classify(unsigned err) {
  switch (err) {
    case ER_DUP_ENTRY:
    case ER_DUP_ENTRY_WITH_KEY_NAME:
    case ER_ROW_IS_REFERENCED:
    case ER_ROW_IS_REFERENCED_2:
    case ER_NO_REFERENCED_ROW:
    case ER_NO_REFERENCED_ROW_2:
    case ER_CONSTRAINT_FAILED:  // CHECK, as SQLITE_CONSTRAINT_CHECK
    case ER_BAD_NULL_ERROR:     // NOT NULL, as SQLITE_CONSTRAINT_NOTNULL
    case 3819:                  // MySQL 8 ER_CHECK_CONSTRAINT_VIOLATED
      return Failure::kConflict;
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_LOCK_DEADLOCK:
    case ER_CON_COUNT_ERROR:
    case ER_QUERY_INTERRUPTED:
      return Failure::kUnavailable;
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_COMMANDS_OUT_OF_SYNC:  // the protocol state is unknown: do not reuse
    case ER_CONNECTION_KILLED:
    case ER_SERVER_SHUTDOWN:
    case ER_NET_READ_ERROR:
    case 4031:  // MySQL 8 ER_CLIENT_INTERACTION_TIMEOUT
      return Failure::kBroken;
    default:
      return Failure::kInternal;
  }
}

std::string Abbreviate(std::string_view sql) {
  constexpr std::size_t kMax = 160;
  if (sql.size() <= kMax) return std::string(sql);
  return std::string(sql.substr(0, kMax)) + "...";
}

// One result column's fetch buffers.
struct Column {
  enum Kind { kInt, kDouble, kText } kind = kText;
  long long i = 0;
  double d = 0;
  std::vector<char> buf;
  unsigned long length = 0;
  my_bool is_null = 0;
  my_bool error = 0;
  bool is_unsigned = false;
};

Column::Kind KindOf(enum_field_types type) {
  switch (type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_YEAR:
      return Column::kInt;
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE:
      return Column::kDouble;
    default:
      return Column::kText;
  }
}

class MysqlConnection final : public Connection {
 public:
  explicit MysqlConnection(MYSQL* mysql) : mysql_(mysql) {}
  ~MysqlConnection() override {
    CloseStatements();
    mysql_close(mysql_);
  }
  MysqlConnection(const MysqlConnection&) = delete;
  MysqlConnection& operator=(const MysqlConnection&) = delete;

  Dialect dialect() const override { return Dialect::kMysql; }

  Result<ExecResult> Execute(std::string_view sql, const std::vector<Value>& params) override {
    ExecResult r;
    auto st = Run(sql, params, nullptr, &r);
    if (!st.ok()) return std::move(st).error();
    return r;
  }

  Result<Rows> Query(std::string_view sql, const std::vector<Value>& params) override {
    Rows rows;
    auto st = Run(sql, params, &rows, nullptr);
    if (!st.ok()) return std::move(st).error();
    return rows;
  }

  Status ExecuteScript(std::string_view sql) override {
    if (broken_) return BrokenError();
    // Multi-statements are on only for the duration of the script: prepared statements never
    // allow them, and no other text-protocol query runs with them enabled.
    if (mysql_set_server_option(mysql_, MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0) {
      return ConnError("mysql script");
    }
    Status result = OkStatus();
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
      result = ConnError("mysql script");
    } else {
      while (true) {
        if (MYSQL_RES* res = mysql_store_result(mysql_)) mysql_free_result(res);
        int next = mysql_next_result(mysql_);
        if (next == -1) break;
        if (next > 0) {
          result = ConnError("mysql script");
          break;
        }
      }
    }
    if (!broken_ && mysql_set_server_option(mysql_, MYSQL_OPTION_MULTI_STATEMENTS_OFF) != 0) {
      if (result.ok()) result = ConnError("mysql script");
    }
    return result;
  }

  Status Begin() override {
    auto st = Text("START TRANSACTION");
    if (st.ok()) in_tx_ = true;
    return st;
  }
  Status Commit() override {
    auto st = Text("COMMIT");
    if (st.ok()) in_tx_ = false;
    return st;
  }
  Status Rollback() override {
    in_tx_ = false;
    return Text("ROLLBACK");
  }

  bool Ping() override {
    if (broken_) return false;
    if (mysql_ping(mysql_) != 0) broken_ = true;
    return !broken_;
  }

  bool broken() const override { return broken_; }
  bool in_transaction() const override { return in_tx_; }

  Status Text(std::string_view sql) {
    if (broken_) return BrokenError();
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
      return ConnError("mysql: " + std::string(sql));
    }
    if (MYSQL_RES* res = mysql_store_result(mysql_)) mysql_free_result(res);
    return OkStatus();
  }

 private:
  static Error BrokenError() {
    return Error::Unavailable("mysql connection was lost; it will be replaced");
  }

  Error MakeError(unsigned err, const std::string& context, const char* text) {
    std::string msg = context + ": " + text + " (" + std::to_string(err) + ")";
    switch (Classify(err)) {
      case Failure::kConflict:
        return Error::Conflict(std::move(msg));
      case Failure::kUnavailable:
        return Error::Unavailable(std::move(msg));
      case Failure::kBroken:
        broken_ = true;
        in_tx_ = false;
        CloseStatements();
        return Error::Unavailable(std::move(msg));
      case Failure::kInternal:
        break;
    }
    return Error::Internal(std::move(msg));
  }

  Error ConnError(const std::string& context) {
    return MakeError(mysql_errno(mysql_), context, mysql_error(mysql_));
  }
  Error StmtError(MYSQL_STMT* stmt, std::string_view sql) {
    return MakeError(mysql_stmt_errno(stmt), "mysql: " + Abbreviate(sql), mysql_stmt_error(stmt));
  }

  void CloseStatements() {
    for (auto& [sql, stmt] : statements_)
      mysql_stmt_close(stmt);
    statements_.clear();
  }

  Result<MYSQL_STMT*> Prepare(std::string_view sql) {
    auto it = statements_.find(std::string(sql));
    if (it != statements_.end()) return it->second;
    if (statements_.size() >= kMaxCachedStatements) CloseStatements();
    MYSQL_STMT* stmt = mysql_stmt_init(mysql_);
    if (stmt == nullptr) return ConnError("mysql_stmt_init");
    if (mysql_stmt_prepare(stmt, sql.data(), sql.size()) != 0) {
      Error e = StmtError(stmt, sql);
      mysql_stmt_close(stmt);
      return e;
    }
    statements_.emplace(std::string(sql), stmt);
    return stmt;
  }

  Status BindParams(MYSQL_STMT* stmt, const std::vector<Value>& params,
                    std::vector<MYSQL_BIND>& binds, std::vector<unsigned long>& lengths) {
    binds.assign(params.size(), MYSQL_BIND{});
    lengths.assign(params.size(), 0);
    for (std::size_t i = 0; i < params.size(); ++i) {
      MYSQL_BIND& b = binds[i];
      const Value& v = params[i];
      if (std::holds_alternative<std::monostate>(v)) {
        b.buffer_type = MYSQL_TYPE_NULL;
      } else if (const auto* n = std::get_if<int64_t>(&v)) {
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.buffer = const_cast<int64_t*>(n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        b.buffer_type = MYSQL_TYPE_DOUBLE;
        b.buffer = const_cast<double*>(d);
      } else {
        const auto& s = std::get<std::string>(v);
        b.buffer_type = MYSQL_TYPE_STRING;
        b.buffer = const_cast<char*>(s.data());
        b.buffer_length = s.size();
        lengths[i] = s.size();
        b.length = &lengths[i];
      }
    }
    if (!params.empty() && mysql_stmt_bind_param(stmt, binds.data()) != 0) {
      return Error::Internal(std::string("mysql bind: ") + mysql_stmt_error(stmt));
    }
    return OkStatus();
  }

  Status FetchAll(MYSQL_STMT* stmt, MYSQL_RES* meta, Rows& out, std::string_view sql) {
    unsigned n = mysql_num_fields(meta);
    MYSQL_FIELD* fields = mysql_fetch_fields(meta);
    std::vector<Column> cols(n);
    std::vector<MYSQL_BIND> binds(n, MYSQL_BIND{});
    out.columns.clear();
    for (unsigned i = 0; i < n; ++i) {
      out.columns.emplace_back(fields[i].name, fields[i].name_length);
      Column& c = cols[i];
      MYSQL_BIND& b = binds[i];
      c.kind = KindOf(fields[i].type);
      c.is_unsigned = (fields[i].flags & UNSIGNED_FLAG) != 0;
      b.is_null = &c.is_null;
      b.length = &c.length;
      b.error = &c.error;
      if (c.kind == Column::kInt) {
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.buffer = &c.i;
        b.is_unsigned = c.is_unsigned;
      } else if (c.kind == Column::kDouble) {
        b.buffer_type = MYSQL_TYPE_DOUBLE;
        b.buffer = &c.d;
      } else {
        c.buf.resize(kInitialColumnBuffer);
        b.buffer_type = MYSQL_TYPE_STRING;
        b.buffer = c.buf.data();
        b.buffer_length = c.buf.size();
      }
    }
    if (mysql_stmt_bind_result(stmt, binds.data()) != 0) return StmtError(stmt, sql);
    if (mysql_stmt_store_result(stmt) != 0) return StmtError(stmt, sql);
    while (true) {
      int rc = mysql_stmt_fetch(stmt);
      if (rc == MYSQL_NO_DATA) break;
      if (rc == 1) return StmtError(stmt, sql);
      Row row;
      row.values.reserve(n);
      for (unsigned i = 0; i < n; ++i) {
        Column& c = cols[i];
        if (c.is_null) {
          row.values.emplace_back(std::monostate{});
        } else if (c.kind == Column::kInt) {
          row.values.emplace_back(static_cast<int64_t>(c.i));
        } else if (c.kind == Column::kDouble) {
          row.values.emplace_back(c.d);
        } else if (c.length <= c.buf.size()) {
          row.values.emplace_back(std::string(c.buf.data(), c.length));
        } else {
          std::string big(c.length, '\0');
          unsigned long got = 0;
          MYSQL_BIND b{};
          b.buffer_type = MYSQL_TYPE_STRING;
          b.buffer = big.data();
          b.buffer_length = big.size();
          b.length = &got;
          if (mysql_stmt_fetch_column(stmt, &b, i, 0) != 0) return StmtError(stmt, sql);
          row.values.emplace_back(std::move(big));
        }
      }
      out.rows.push_back(std::move(row));
    }
    return OkStatus();
  }

  // Prepares (or reuses), binds, executes, and reads every row into `rows` or the counts into
  // `exec`.
  Status Run(std::string_view sql, const std::vector<Value>& params, Rows* rows, ExecResult* exec) {
    if (broken_) return BrokenError();
    auto prepared = Prepare(sql);
    if (!prepared.ok()) return std::move(prepared).error();
    MYSQL_STMT* stmt = prepared.value();
    unsigned long expected = mysql_stmt_param_count(stmt);
    if (expected != params.size()) {
      return Error::Internal("mysql: statement takes " + std::to_string(expected) +
                             " parameters, got " + std::to_string(params.size()) +
                             " in: " + Abbreviate(sql));
    }
    std::vector<MYSQL_BIND> binds;
    std::vector<unsigned long> lengths;
    auto bound = BindParams(stmt, params, binds, lengths);
    if (!bound.ok()) return bound;
    if (mysql_stmt_execute(stmt) != 0) return StmtError(stmt, sql);
    MYSQL_RES* meta = mysql_stmt_result_metadata(stmt);
    if (meta == nullptr) {
      if (mysql_stmt_errno(stmt) != 0) return StmtError(stmt, sql);
      if (exec != nullptr) {
        exec->affected_rows = static_cast<int64_t>(mysql_stmt_affected_rows(stmt));
        exec->last_insert_id = static_cast<int64_t>(mysql_stmt_insert_id(stmt));
      }
      if (rows != nullptr) rows->columns.clear();
      return OkStatus();
    }
    Rows discard;
    Status st = FetchAll(stmt, meta, rows != nullptr ? *rows : discard, sql);
    mysql_free_result(meta);
    if (!broken_) mysql_stmt_free_result(stmt);
    if (exec != nullptr) exec->affected_rows = 0;
    return st;
  }

  MYSQL* mysql_;
  std::unordered_map<std::string, MYSQL_STMT*> statements_;
  bool broken_ = false;
  bool in_tx_ = false;
};

std::string Describe(const MysqlUrl& url) {
  std::string where = url.socket.empty() ? url.host + ":" + std::to_string(url.port) : url.socket;
  return where + "/" + url.database + " as " + url.user;
}

Status ConfigureTls(MYSQL* mysql, const MysqlOptions& options, bool& require_tls) {
  const std::string& mode = options.ssl_mode;
  my_bool on = 1;
  my_bool off = 0;
  require_tls = false;
  if (mode == "disabled") {
    mysql_optionsv(mysql, MYSQL_OPT_SSL_ENFORCE, &off);
    return OkStatus();
  }
  if (mode == "preferred") {
    // use_ssl without verification: Connector/C falls back to plain text when the server does
    // not offer TLS.
    mysql_optionsv(mysql, MYSQL_OPT_SSL_ENFORCE, &on);
    return OkStatus();
  }
  if (mode != "required" && mode != "verify_ca" && mode != "verify_identity") {
    return Error::InvalidArgument(
        "database.mysql_ssl_mode: expected disabled, preferred, required, verify_ca or "
        "verify_identity, got '" +
        mode + "'");
  }
  require_tls = true;
  mysql_optionsv(mysql, MYSQL_OPT_SSL_ENFORCE, &on);
  if (mode != "required") {
    mysql_optionsv(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
    if (!options.ssl_ca.empty()) mysql_optionsv(mysql, MYSQL_OPT_SSL_CA, options.ssl_ca.c_str());
  }
  return OkStatus();
}

}  // namespace

Result<std::unique_ptr<Connection>> OpenMysqlConnection(const MysqlOptions& options) {
  const MysqlUrl& url = options.url;
  MYSQL* mysql = mysql_init(nullptr);
  if (mysql == nullptr) return Error::Unavailable("mysql: out of memory");
  auto conn = std::make_unique<MysqlConnection>(mysql);  // owns `mysql` from here on

  auto seconds =
      static_cast<unsigned>(std::max<long long>(1, (options.connect_timeout.count() + 999) / 1000));
  unsigned io_timeout = kIoTimeoutSeconds;
  my_bool no = 0;
  mysql_optionsv(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &seconds);
  mysql_optionsv(mysql, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
  mysql_optionsv(mysql, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
  mysql_optionsv(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // A silent reconnect would lose session state and prepared statements; the pool replaces
  // broken connections instead.
  mysql_optionsv(mysql, MYSQL_OPT_RECONNECT, &no);
  bool require_tls = false;
  auto tls = ConfigureTls(mysql, options, require_tls);
  if (!tls.ok()) return std::move(tls).error();

  const bool use_socket = !url.socket.empty();
  // CLIENT_FOUND_ROWS: UPDATE reports matched rows, as SQLite does, so "0 rows" means "not found"
  // on both dialects.
  if (mysql_real_connect(mysql, use_socket ? "localhost" : url.host.c_str(), url.user.c_str(),
                         url.password.c_str(), url.database.c_str(), use_socket ? 0 : url.port,
                         use_socket ? url.socket.c_str() : nullptr, CLIENT_FOUND_ROWS) == nullptr) {
    return Error::Unavailable("mysql: cannot connect to " + Describe(url) + ": " +
                              mysql_error(mysql) + " (" + std::to_string(mysql_errno(mysql)) + ")");
  }
  if (require_tls && mysql_get_ssl_cipher(mysql) == nullptr) {
    return Error::Unavailable("mysql: " + Describe(url) + ": ssl mode '" + options.ssl_mode +
                              "' requires TLS but the server did not negotiate it");
  }
  for (const char* sql : {"SET SESSION sql_mode='STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
                          "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', time_zone='+00:00'",
                          "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"}) {
    auto st = conn->Text(sql);
    if (!st.ok()) {
      return Error::Unavailable("mysql: configuring session on " + Describe(url) + ": " +
                                st.error().message);
    }
  }
  return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace studybot::storage
