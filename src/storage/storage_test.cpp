// Data round trips, errors and transactions, on SQLite and MariaDB (see tests/storage_fixture.h).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/database.h"
#include "storage/migrations.h"
#include "storage_fixture.h"

namespace studybot::storage {
namespace {

using namespace std::string_literals;

const std::string kNow = "2026-11-24T11:25:39.123Z";

void MustExec(Connection& c, const std::string& sql, const std::vector<Value>& params = {}) {
  auto r = c.Execute(sql, params);
  ASSERT_TRUE(r.ok()) << sql << ": " << r.error().message;
}

int64_t Count(Connection& c, const std::string& table) {
  auto r = c.Query("SELECT COUNT(*) FROM " + table);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? r->rows.at(0).GetInt(0) : -1;
}

void Migrate(Database& db) {
  Migrator migrator(db);
  auto r = migrator.Migrate();
  ASSERT_TRUE(r.ok()) << r.error().message;
}

void InsertUser(Connection& c, const std::string& id, const std::string& email) {
  MustExec(c,
           "INSERT INTO users (id, email, password_hash, name, role, is_active, created_at,"
           " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
           {id, email, "$2b$12$hash"s, "Ada"s, "bot_admin"s, int64_t{1}, kNow, kNow});
}

void InsertChatbot(Connection& c, const std::string& id, const Value& created_by) {
  MustExec(c,
           "INSERT INTO chatbots (id, name, description, status, system_prompt, model,"
           " allowed_domains, widget_settings, created_by, created_at, updated_at)"
           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
           {id, "Bot"s, ""s, "active"s, "Be nice"s, "gpt-4o-mini"s, "[]"s, "{}"s, created_by, kNow,
            kNow});
}

TEST_P(StorageTest, RoundTripsEveryValueType) {
  auto db = Open();
  ASSERT_NE(db, nullptr);
  ASSERT_NO_FATAL_FAILURE(CreateScratchTable(*db));
  auto conn = db->Acquire();
  ASSERT_TRUE(conn.ok());
  Connection& c = *conn.value();

  std::string unicode = "héllo — 世界 🙂 ñ";
  std::string big(1 << 20, 'x');
  for (std::size_t i = 0; i < big.size(); i += 97)
    big[i] = static_cast<char>('a' + i % 26);
  std::string with_nuls("a\0b\0\0c", 6);
  std::string binary;
  for (int i = 0; i < 256; ++i)
    binary.push_back(static_cast<char>(i));

  const std::string insert = "INSERT INTO kv (id, i, d, s, b) VALUES (?, ?, ?, ?, ?)";
  MustExec(c, insert,
           {int64_t{1}, std::monostate{}, std::monostate{}, std::monostate{}, std::monostate{}});
  MustExec(c, insert, {int64_t{2}, INT64_MAX, 3.25, unicode, binary});
  MustExec(c, insert, {int64_t{3}, INT64_MIN, -1e-300, big, std::monostate{}});
  MustExec(c, insert, {int64_t{4}, int64_t{-7}, 0.1, with_nuls, with_nuls});

  auto rows = c.Query("SELECT id, i, d, s, b FROM kv ORDER BY id");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ(rows->columns, (std::vector<std::string>{"id", "i", "d", "s", "b"}));
  const auto& r = rows->rows;
  for (std::size_t col = 1; col < 5; ++col)
    EXPECT_TRUE(r[0].IsNull(col)) << col;
  EXPECT_EQ(r[0].GetOptionalString(3), std::nullopt);
  EXPECT_EQ(r[0].GetString(3), "");
  EXPECT_EQ(r[0].GetInt(1), 0);

  EXPECT_EQ(std::get<int64_t>(r[1].values[1]), INT64_MAX);
  EXPECT_EQ(std::get<double>(r[1].values[2]), 3.25);
  EXPECT_EQ(std::get<std::string>(r[1].values[3]), unicode);
  EXPECT_EQ(std::get<std::string>(r[1].values[4]), binary);

  EXPECT_EQ(std::get<int64_t>(r[2].values[1]), INT64_MIN);
  EXPECT_EQ(std::get<double>(r[2].values[2]), -1e-300);
  EXPECT_EQ(r[2].GetString(3).size(), big.size());
  EXPECT_TRUE(r[2].GetString(3) == big);

  EXPECT_EQ(r[3].GetString(3), with_nuls);
  EXPECT_EQ(r[3].GetString(4), with_nuls);
  // Getters convert between representations.
  EXPECT_EQ(r[3].GetString(1), "-7");
  EXPECT_EQ(r[3].GetDouble(1), -7.0);
  EXPECT_EQ(r[3].GetString(2), "0.1");
  EXPECT_EQ(r[3].GetInt(0), 4);

  // Parameters in WHERE clauses, and text parsed by GetInt.
  auto one = c.Query("SELECT s, '42' FROM kv WHERE s = ?", {unicode});
  ASSERT_TRUE(one.ok()) << one.error().message;
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->rows[0].GetInt(1), 42);

  auto upd = c.Execute("UPDATE kv SET i = ? WHERE id >= ?", {int64_t{5}, int64_t{3}});
  ASSERT_TRUE(upd.ok()) << upd.error().message;
  EXPECT_EQ(upd->affected_rows, 2);
  // Matched rows, not changed rows, on both dialects.
  upd = c.Execute("UPDATE kv SET i = ? WHERE id >= ?", {int64_t{5}, int64_t{3}});
  ASSERT_TRUE(upd.ok());
  EXPECT_EQ(upd->affected_rows, 2);
}

TEST_P(StorageTest, ReusesPreparedStatements) {
  auto db = Open();
  ASSERT_NE(db, nullptr);
  ASSERT_NO_FATAL_FAILURE(CreateScratchTable(*db));
  auto conn = db->Acquire();
  ASSERT_TRUE(conn.ok());
  Connection& c = *conn.value();
  const std::string status = "SHOW SESSION STATUS LIKE 'Com_stmt_prepare'";
  int64_t prepared_before = 0;
  if (mysql()) {
    auto s = c.Query(status);
    ASSERT_TRUE(s.ok()) << s.error().message;
    prepared_before = s->rows.at(0).GetInt(1);
  }
  for (int64_t i = 0; i < 200; ++i) {
    MustExec(c, "INSERT INTO kv (id, i, s) VALUES (?, ?, ?)", {i, i * i, std::to_string(i)});
  }
  for (int64_t i = 0; i < 200; i += 37) {
    auto r = c.Query("SELECT i, s FROM kv WHERE id = ?", {i});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ(r->rows[0].GetInt(0), i * i);
    EXPECT_EQ(r->rows[0].GetString(1), std::to_string(i));
  }
  if (mysql()) {
    auto s = c.Query(status);
    ASSERT_TRUE(s.ok());
    // One prepare for the INSERT, one for the SELECT; the status query itself was cached.
    EXPECT_EQ(s->rows.at(0).GetInt(1) - prepared_before, 2);
  }
  // A wrong parameter count is a programmer error, reported, not crashed on.
  auto bad = c.Execute("INSERT INTO kv (id, i) VALUES (?, ?)", {int64_t{1}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInternal);
  // Bad SQL is kInternal and leaves the connection usable.
  auto syntax = c.Query("SELEKT nonsense");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.error().code, ErrorCode::kInternal);
  EXPECT_EQ(Count(c, "kv"), 200);
}

TEST_P(StorageTest, ConstraintViolationsAreConflicts) {
  auto db = Open();
  ASSERT_NE(db, nullptr);
  ASSERT_NO_FATAL_FAILURE(Migrate(*db));
  auto conn = db->Acquire();
  ASSERT_TRUE(conn.ok());
  Connection& c = *conn.value();
  ASSERT_NO_FATAL_FAILURE(InsertUser(c, "u1", "ada@example.com"));

  const std::string insert_user =
      "INSERT INTO users (id, email, password_hash, name, created_at, updated_at)"
      " VALUES (?, ?, 'h', 'n', ?, ?)";
  auto dup_id = c.Execute(insert_user, {"u1"s, "other@example.com"s, kNow, kNow});
  ASSERT_FALSE(dup_id.ok());
  EXPECT_EQ(dup_id.error().code, ErrorCode::kConflict) << dup_id.error().message;
  // E-mail addresses are unique regardless of case on both dialects.
  auto dup_email = c.Execute(insert_user, {"u2"s, "ADA@example.com"s, kNow, kNow});
  ASSERT_FALSE(dup_email.ok());
  EXPECT_EQ(dup_email.error().code, ErrorCode::kConflict);

  auto orphan = c.Execute(
      "INSERT INTO chat_sessions (id, chatbot_id, started_at, last_activity_at)"
      " VALUES (?, ?, ?, ?)",
      {"s1"s, "no-such-bot"s, kNow, kNow});
  ASSERT_FALSE(orphan.ok());
  EXPECT_EQ(orphan.error().code, ErrorCode::kConflict) << orphan.error().message;

  auto bad_role = c.Execute(
      "INSERT INTO users (id, email, password_hash, name, role, created_at, updated_at)"
      " VALUES (?, ?, 'h', 'n', ?, ?, ?)",
      {"u3"s, "x@example.com"s, "root"s, kNow, kNow});
  ASSERT_FALSE(bad_role.ok());
  EXPECT_EQ(bad_role.error().code, ErrorCode::kConflict) << bad_role.error().message;
  EXPECT_EQ(Count(c, "users"), 1);
}

TEST_P(StorageTest, DeletingAChatbotCascadesToItsRows) {
  auto db = Open();
  ASSERT_NE(db, nullptr);
  ASSERT_NO_FATAL_FAILURE(Migrate(*db));
  auto conn = db->Acquire();
  ASSERT_TRUE(conn.ok());
  Connection& c = *conn.value();
  ASSERT_NO_FATAL_FAILURE(InsertUser(c, "u1", "ada@example.com"));
  ASSERT_NO_FATAL_FAILURE(InsertChatbot(c, "b1", "u1"s));
  ASSERT_NO_FATAL_FAILURE(InsertChatbot(c, "b2", "u1"s));
  for (const std::string bot : {"b1", "b2"}) {
    MustExec(c,
             "INSERT INTO chat_sessions (id, chatbot_id, visitor_id, ip, user_agent, started_at,"
             " last_activity_at, message_count) VALUES (?, ?, 'v', '203.0.113.9', 'UA', ?, ?, 2)",
             {"s-" + bot, bot, kNow, kNow});
    MustExec(c,
             "INSERT INTO chat_messages (id, chatbot_id, session_id, type, content, created_at,"
             " feedback, response_time_ms, sources, confidence) VALUES"
             " (?, ?, ?, 'bot', 'Bonjour', ?, 'positive', 120, '[\"https://a.example/\"]', 0.9)",
             {"m-" + bot, bot, "s-" + bot, kNow});
    MustExec(c,
             "INSERT INTO feedbacks (id, chatbot_id, session_id, message_id, rating, comment,"
             " created_at) VALUES (?, ?, ?, ?, 'positive', 'merci', ?)",
             {"f-" + bot, bot, "s-" + bot, "m-" + bot, kNow});
    MustExec(c,
             "INSERT INTO scraped_content (id, chatbot_id, url, title, content, content_hash,"
             " embeddings, last_scraped, is_active, created_at, updated_at) VALUES"
             " (?, ?, 'https://a.example/', 'A', 'text', 'abc', ?, ?, 1, ?, ?)",
             {"c-" + bot, bot, std::string("\x01\x02\x00\xff", 4), kNow, kNow, kNow});
    MustExec(c,
             "INSERT INTO analytics_events (id, type, chatbot_id, session_id, user_id, created_at,"
             " metadata) VALUES (?, 'message_sent', ?, ?, NULL, ?, '{}')",
             {"e-" + bot, bot, "s-" + bot, kNow});
    MustExec(c,
             "INSERT INTO api_keys (id, chatbot_id, kind, name, prefix, key_hash, created_by,"
             " created_at) VALUES (?, ?, 'publishable', 'widget', 'pk_ab', ?, 'u1', ?)",
             {"k-" + bot, bot, "hash-" + bot, kNow});
  }
  MustExec(c, "DELETE FROM chatbots WHERE id = ?", {"b1"s});
  for (const char* table : {"chat_sessions", "chat_messages", "feedbacks", "scraped_content",
                            "analytics_events", "api_keys"}) {
    EXPECT_EQ(Count(c, table), 1) << table;
    auto left = c.Query(std::string("SELECT chatbot_id FROM ") + table);
    ASSERT_TRUE(left.ok());
    EXPECT_EQ(left->rows.at(0).GetString(0), "b2") << table;
  }
  // Deleting the user keeps its chatbots and keys, without an author.
  MustExec(c, "DELETE FROM users WHERE id = ?", {"u1"s});
  auto bot = c.Query("SELECT created_by FROM chatbots WHERE id = ?", {"b2"s});
  ASSERT_TRUE(bot.ok());
  ASSERT_EQ(bot->size(), 1u);
  EXPECT_TRUE(bot->rows[0].IsNull(0));
}

TEST_P(StorageTest, RolledBackTransactionLeavesNoRows) {
  auto db = Open();
  ASSERT_NE(db, nullptr);
  ASSERT_NO_FATAL_FAILURE(CreateScratchTable(*db));
  const std::string insert = "INSERT INTO kv (id, s) VALUES (?, ?)";
  auto failed = db->InTransaction<int>([&](Connection& c) -> Result<int> {
    for (int64_t id : {1, 2}) {
      auto r = c.Execute(insert, {id, "half"s});
      if (!r.ok()) return std::move(r).error();
    }
    auto dup = c.Execute(insert, {int64_t{1}, "dup"s});  // fails: duplicate key
    if (!dup.ok()) return std::move(dup).error();
    return 0;
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kConflict);

  auto committed = db->InTransaction<int>([&](Connection& c) -> Result<int> {
    auto r = c.Execute(insert, {int64_t{3}, "whole"s});
    if (!r.ok()) return std::move(r).error();
    return 7;
  });
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  EXPECT_EQ(committed.value(), 7);

  {  // A handle released mid-transaction is rolled back by the pool.
    auto conn = db->Acquire();
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE(conn.value()->Begin().ok());
    ASSERT_TRUE(conn.value()->Execute(insert, {int64_t{4}, "abandoned"s}).ok());
  }
  auto conn = db->Acquire();
  ASSERT_TRUE(conn.ok());
  auto rows = conn.value()->Query("SELECT id, s FROM kv ORDER BY id");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->rows[0].GetInt(0), 3);
  EXPECT_EQ(rows->rows[0].GetString(1), "whole");
}

TEST_P(StorageTest, InjectionAttemptsStayData) {
  auto db = Open();
  ASSERT_NE(db, nullptr);
  ASSERT_NO_FATAL_FAILURE(Migrate(*db));
  auto conn = db->Acquire();
  ASSERT_TRUE(conn.ok());
  Connection& c = *conn.value();
  const std::string evil = "x'); DROP TABLE users; -- \\' \" `";
  ASSERT_NO_FATAL_FAILURE(InsertUser(c, evil, "evil@example.com"));
  auto found = c.Query("SELECT id FROM users WHERE id = ?", {evil});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->rows[0].GetString(0), evil);
  auto tautology = c.Query("SELECT id FROM users WHERE email = ?", {"' OR '1'='1"s});
  ASSERT_TRUE(tautology.ok());
  EXPECT_TRUE(tautology->empty());
  EXPECT_EQ(Count(c, "users"), 1);
}

INSTANTIATE_TEST_SUITE_P(Engines, StorageTest,
                         ::testing::Values(Backend::kSqlite, Backend::kMariadb), BackendParamName);

}  // namespace
}  // namespace studybot::storage
