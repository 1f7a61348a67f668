// kill -9 in the middle of a crawl: the restarted process takes the crawl's queue job over once
// the dead worker's lease runs out and finishes it, with no page stored twice; the scraping
// status shows the crawl running, then succeeded, and its webhook fires once. A real child
// process, killed for real.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <thread>

#include <boost/json/serialize.hpp>

#include "api_client.h"
#include "loopback_http_server.h"
#include "process.h"
#include "test_server.h"

namespace studybot::testing {
namespace {

using std::chrono::milliseconds;

const std::string kBinary = STUDYBOT_BINARY;

bool WaitReady(int port) {
  for (int i = 0; i < 1000; ++i) {
    try {
      if (Request(static_cast<uint16_t>(port), boost::beast::http::verb::get, "/ready")
              .result_int() == 200) {
        return true;
      }
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  return false;
}

TEST(CrawlCrashTest, KillNineMidCrawlIsFinishedByTheNextProcessOnce) {
  // "/" links to /a, /b and /c, crawled in that order; /b is held until the first process is dead.
  std::atomic<bool> hold_b{true};
  std::atomic<bool> b_requested{false};
  LoopbackHttpServer site([&](const ReceivedRequest& r) {
    if (r.method == "POST") return Reply{204, "", {}};  // the webhook receiver
    if (r.target == "/robots.txt") return Reply{404, "", {}};
    if (r.target == "/b") {
      b_requested = true;
      for (int i = 0; i < 2000 && hold_b.load(); ++i)
        std::this_thread::sleep_for(milliseconds(5));
    }
    if (r.target != "/" && r.target != "/a" && r.target != "/b" && r.target != "/c") {
      return Reply{404, "", {}};
    }
    std::string body =
        "<title>Page " + r.target + "</title><p>What page " + r.target + " says.</p>";
    if (r.target == "/") body += "<a href=/a>A</a> <a href=/b>B</a> <a href=/c>C</a>";
    return Reply{200, body, {{"Content-Type", "text/html"}}};
  });

  TempDir dir;
  int port = FreePort();
  std::map<std::string, std::string> env = {{"STUDYBOT_DATA_DIR", dir.path().string()},
                                            {"STUDYBOT_ADMIN_EMAIL", "root@example.com"},
                                            {"STUDYBOT_ADMIN_PASSWORD", "correct horse battery"},
                                            {"STUDYBOT_AUTH_BCRYPT_COST", "4"},
                                            {"STUDYBOT_RATELIMIT_PER_USER", "1000000/1m"},
                                            {"STUDYBOT_OUTBOUND_ALLOW_PRIVATE_ADDRESSES", "true"},
                                            {"STUDYBOT_SCRAPING_MIN_DELAY", "0"},
                                            {"STUDYBOT_SCRAPING_POLL_INTERVAL", "50ms"},
                                            {"STUDYBOT_WEBHOOKS_POLL_INTERVAL", "50ms"},
                                            {"STUDYBOT_KNOWLEDGE_JOB_LEASE", "1"},
                                            {"STUDYBOT_KNOWLEDGE_JOB_POLL_INTERVAL", "50ms"}};
  auto start = [&](const std::string& log) {
    auto p = std::make_unique<ChildProcess>(
        std::vector<std::string>{kBinary, "serve", "--port", std::to_string(port)}, env,
        (dir.path() / log).string());
    EXPECT_TRUE(WaitReady(port));
    return p;
  };
  auto server = start("first.log");
  ApiClient api(static_cast<uint16_t>(port));
  std::string root = api.Login("root@example.com", "correct horse battery");
  std::string bot(api.Post("/api/chatbots", {{"name", "Crash"}}, root).at("id").as_string());
  auto hook = api.Post(
      "/api/chatbots/" + bot + "/webhooks",
      {{"url", site.url("/hook")}, {"events", {"scraping.completed", "scraping.failed"}}}, root);
  ASSERT_EQ(hook.status, 201u) << hook.raw.body();
  ASSERT_EQ(
      api.Post("/api/scraping/urls", {{"chatbot_id", bot}, {"url", site.url("/")}}, root).status,
      201u);
  auto trigger = api.Post("/api/scraping/trigger", {{"chatbot_id", bot}}, root);
  ASSERT_EQ(trigger.status, 202u) << trigger.raw.body();
  std::string id(trigger.at("id").as_string());
  auto latest = [&]() -> boost::json::object {
    auto s = api.Get("/api/scraping/status?chatbot_id=" + bot, root);
    return s.at("jobs").at(0).as_object();
  };

  // Killed while it fetches /b, with / and /a stored.
  for (int i = 0; i < 1000 && !b_requested; ++i)
    std::this_thread::sleep_for(milliseconds(10));
  ASSERT_TRUE(b_requested);
  auto running = latest();
  EXPECT_EQ(running.at("id").as_string(), id);
  EXPECT_EQ(running.at("status").as_string(), "running");
  EXPECT_EQ(running.at("pages").at("changed").as_int64(), 2);
  server->Signal(SIGKILL);
  server->Wait();
  server.reset();
  hold_b = false;

  // The restarted process claims it once the lease (1 s) has run out, and crawls it again.
  server = start("second.log");
  root = api.Login("root@example.com", "correct horse battery");
  boost::json::object job;
  for (int i = 0; i < 1500; ++i) {
    job = latest();
    if (job.at("status") != "queued" && job.at("status") != "running") break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_EQ(job.at("status").as_string(), "succeeded") << boost::json::serialize(job);
  EXPECT_EQ(job.at("id").as_string(), id);
  EXPECT_EQ(job.at("pages").at("changed").as_int64(), 2);    // /b and /c
  EXPECT_EQ(job.at("pages").at("unchanged").as_int64(), 2);  // stored before the kill
  EXPECT_EQ(job.at("started_at"), running.at("started_at"));
  EXPECT_TRUE(job.at("error").is_null());
  auto status = api.Get("/api/scraping/status?chatbot_id=" + bot, root);
  EXPECT_EQ(status.at("pages").as_int64(), 4);
  EXPECT_FALSE(status.at("running").as_bool());
  EXPECT_EQ(status.at("jobs").as_array().size(), 1u);

  // One webhook delivery, for the one crawl.
  std::string deliveries = "/api/chatbots/" + bot + "/webhooks/" +
                           std::string(hook.at("id").as_string()) + "/deliveries";
  for (int i = 0; i < 500; ++i) {
    auto d = api.Get(deliveries, root);
    const auto& items = d.at("items").as_array();
    if (!items.empty() && items[0].at("status") == "succeeded") break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  auto d = api.Get(deliveries, root);
  ASSERT_EQ(d.at("items").as_array().size(), 1u) << d.raw.body();
  EXPECT_EQ(d.at("items").at(0).at("event").as_string(), "scraping.completed") << d.raw.body();
  int posted = 0;
  for (const auto& r : site.Received())
    posted += r.method == "POST" && r.Header("studybot-event") == "scraping.completed";
  EXPECT_EQ(posted, 1);
  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(), 0);

  // In the database: each page once, each crawled document once, and the crawl's queue job ran
  // twice (the killed attempt, then the restarted process's).
  auto db = OpenMigratedSqlite(dir.path() / "studybot.db");
  auto pages = db->Query(
      "SELECT COUNT(*), COUNT(DISTINCT url) FROM scraped_content WHERE chatbot_id = ?", {bot});
  ASSERT_TRUE(pages.ok());
  EXPECT_EQ(pages->rows[0].GetInt(0), 4);
  EXPECT_EQ(pages->rows[0].GetInt(1), 4);
  auto docs = db->Query(
      "SELECT COUNT(*), COUNT(DISTINCT url) FROM documents WHERE chatbot_id = ? AND source = "
      "'crawl'",
      {bot});
  ASSERT_TRUE(docs.ok());
  EXPECT_EQ(docs->rows[0].GetInt(0), 4);
  EXPECT_EQ(docs->rows[0].GetInt(1), 4);
  auto crawls = db->Query(
      "SELECT status, attempts, payload FROM jobs WHERE chatbot_id = ? AND kind = 'crawl'", {bot});
  ASSERT_TRUE(crawls.ok());
  ASSERT_EQ(crawls->size(), 1u);
  EXPECT_EQ(crawls->rows[0].GetString(0), "succeeded");
  EXPECT_EQ(crawls->rows[0].GetInt(1), 2);
  EXPECT_NE(crawls->rows[0].GetString(2).find(id), std::string::npos);
}

}  // namespace
}  // namespace studybot::testing
