// The connection pool and connection failures, on SQLite and MariaDB.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "storage/database.h"
#include "storage/mysql_database.h"
#include "storage_fixture.h"

namespace studybot::storage {
namespace {

using namespace std::string_literals;
using std::chrono::milliseconds;

class PoolTest : public StorageTest {};

TEST_P(PoolTest, SixteenThreadsShareTheConnections) {
  DatabaseOptions options = Options();
  options.pool_size = 4;
  auto db = Open(options);
  ASSERT_NE(db, nullptr);
  ASSERT_NO_FATAL_FAILURE(CreateScratchTable(*db));
  constexpr int kThreads = 16;
  constexpr int kOps = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOps; ++i) {
        auto conn = db->Acquire();
        if (!conn.ok()) {
          ++failures;
          continue;
        }
        int64_t id = int64_t{t} * 1000 + i;
        auto w = conn.value()->Execute("INSERT INTO kv (id, i, s) VALUES (?, ?, ?)",
                                       {id, int64_t{t}, "row"s});
        auto r = conn.value()->Query("SELECT COUNT(*) FROM kv WHERE i = ?", {int64_t{t}});
        if (!w.ok() || !r.ok() || r->rows.at(0).GetInt(0) != i + 1) ++failures;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(db->OpenConnectionCount(), 4);
  auto conn = db->Acquire();
  ASSERT_TRUE(conn.ok());
  auto n = conn.value()->Query("SELECT COUNT(*) FROM kv");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->rows.at(0).GetInt(0), kThreads * kOps);
}

TEST_P(PoolTest, ExhaustedPoolIsUnavailableAfterTimeout) {
  DatabaseOptions options = Options();
  options.pool_size = 2;
  options.acquire_timeout = milliseconds(100);
  auto db = Open(options);
  ASSERT_NE(db, nullptr);
  auto a = db->Acquire();
  auto b = db->Acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  auto start = std::chrono::steady_clock::now();
  auto c = db->Acquire();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kUnavailable);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(100));

  // A waiter is woken by a release.
  std::thread releaser([moved = std::move(a.value())]() mutable {
    std::this_thread::sleep_for(milliseconds(20));
    PooledConnection gone(std::move(moved));
  });
  auto d = db->Acquire();
  releaser.join();
  EXPECT_TRUE(d.ok());
}

TEST_P(PoolTest, BrokenConnectionIsDetectedAndReplaced) {
  if (!mysql()) GTEST_SKIP() << "killing a connection is a MariaDB scenario";
  DatabaseOptions options = Options();
  options.pool_size = 1;
  options.idle_ping_after = std::chrono::hours(1);
  auto db = Open(options);
  ASSERT_NE(db, nullptr);
  auto id_of = [](Connection& c) {
    auto r = c.Query("SELECT CONNECTION_ID()");
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->rows.at(0).GetInt(0) : -1;
  };
  int64_t first = 0;
  {
    auto conn = db->Acquire();
    ASSERT_TRUE(conn.ok());
    first = id_of(*conn.value());
    ASSERT_TRUE(server_->RunAsRoot("KILL " + std::to_string(first)).ok());
    // In use: the failure is reported (the statement's fate is unknown), the connection marked.
    auto r = conn.value()->Query("SELECT 1");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kUnavailable) << r.error().message;
    EXPECT_TRUE(conn.value()->broken());
  }
  int64_t second = 0;
  {
    auto conn = db->Acquire();  // a new connection replaces the dropped one
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    second = id_of(*conn.value());
    EXPECT_NE(second, first);
  }
  EXPECT_EQ(db->OpenConnectionCount(), 1);

  // Idle in the pool: the ping before hand-out finds it dead and the caller never sees it.
  DatabaseOptions eager = options;
  eager.idle_ping_after = milliseconds(0);
  auto db2 = Open(eager);
  ASSERT_NE(db2, nullptr);
  int64_t idle_id = 0;
  {
    auto conn = db2->Acquire();
    ASSERT_TRUE(conn.ok());
    idle_id = id_of(*conn.value());
  }
  ASSERT_TRUE(server_->RunAsRoot("KILL " + std::to_string(idle_id)).ok());
  auto conn = db2->Acquire();
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  auto r = conn.value()->Query("SELECT 1");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_NE(id_of(*conn.value()), idle_id);
}

TEST_P(PoolTest, OpenReportsBadTargetsWithoutSecrets) {
  if (!mysql()) {
    DatabaseOptions o = Options();
    o.url = "sqlite:/proc/no/such/dir/x.db";
    auto db = Database::Open(o);
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.error().code, ErrorCode::kUnavailable);
    o.url = "postgres://x";
    EXPECT_EQ(Database::Open(o).error().code, ErrorCode::kInvalidArgument);
    return;
  }
  DatabaseOptions o = Options();
  o.url = "mysql://studybot:wrong-s3cret@127.0.0.1:" + std::to_string(server_->port()) + "/x";
  auto denied = Database::Open(o);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(denied.error().message.find("wrong-s3cret"), std::string::npos)
      << denied.error().message;
  EXPECT_NE(denied.error().message.find("studybot"), std::string::npos);

  // The test server has no TLS: "required" must refuse, "disabled" and "preferred" connect.
  o = Options();
  o.mysql_ssl_mode = "required";
  auto tls = Database::Open(o);
  ASSERT_FALSE(tls.ok());
  EXPECT_EQ(tls.error().message.find(testutil::MariadbServer::PasswordForTest()),
            std::string::npos);
  for (const char* mode : {"disabled", "preferred"}) {
    o.mysql_ssl_mode = mode;
    auto ok = Database::Open(o);
    EXPECT_TRUE(ok.ok()) << mode << ": " << ok.error().message;
  }
  o.mysql_ssl_mode = "sometimes";
  auto bad = Database::Open(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);

  o = Options();
  o.url = "mysql://studybot:x@127.0.0.1:1/x";  // nothing listens on port 1
  o.connect_timeout = milliseconds(1000);
  auto refused = Database::Open(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
}

INSTANTIATE_TEST_SUITE_P(Engines, PoolTest, ::testing::Values(Backend::kSqlite, Backend::kMariadb),
                         BackendParamName);

TEST(MysqlUrlTest, ParsesAndDecodes) {
  auto u = ParseMysqlUrl("mysql://app%40corp:p%40ss%3Aw%2Frd@db.example.com:3307/studybot");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->user, "app@corp");
  EXPECT_EQ(u->password, "p@ss:w/rd");
  EXPECT_EQ(u->host, "db.example.com");
  EXPECT_EQ(u->port, 3307u);
  EXPECT_EQ(u->database, "studybot");

  u = ParseMysqlUrl("mariadb://root@[::1]/db?socket=%2Frun%2Fmysqld%2Fmysqld.sock");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 3306u);
  EXPECT_EQ(u->password, "");
  EXPECT_EQ(u->socket, "/run/mysqld/mysqld.sock");

  u = ParseMysqlUrl("mysql://u:raw@pass@h/db");  // an unencoded '@' in the password
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->password, "raw@pass");
  EXPECT_EQ(u->host, "h");
}

TEST(MysqlUrlTest, RejectsBadUrlsWithoutEchoingThePassword) {
  for (const char* url :
       {"mysql://u:topsecret@h:99999/db", "mysql://u:topsecret@h/", "mysql://u:top%zzsecret@h/db",
        "mysql://u:topsecret@h/db?ssl=1", "mysql://:topsecret@h/db", "http://u:topsecret@h/db",
        "mysql://u:topsecret@[::1/db"}) {
    auto u = ParseMysqlUrl(url);
    ASSERT_FALSE(u.ok()) << url;
    EXPECT_EQ(u.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(u.error().message.find("topsecret"), std::string::npos) << u.error().message;
  }
}

}  // namespace
}  // namespace studybot::storage
