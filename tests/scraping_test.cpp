// Scraping: a chatbot's URLs, crawl triggers and their status, against a real web site served on
// loopback: robots.txt, links within the site and its depth, text extraction, conditional
// re-crawls, gone pages, duplicates, the private-address guard, audit rows and webhook events.
#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include <boost/json/serialize.hpp>

#include "api_client.h"
#include "loopback_http_server.h"
#include "loopback_listener.h"
#include "test_server.h"

namespace studybot::testing {
namespace {

const std::string kRoot = "root@example.com";
const std::string kRootPassword = "correct horse battery staple";

std::string Html(const std::string& title, const std::string& body) {
  return "<!doctype html><html lang=en><head><title>" + title +
         "</title><script>var tracking = 1;</script></head><body><nav><a href=/>Home</a></nav>"
         "<main>" +
         body + "</main><footer>Copyright footer</footer></body></html>";
}

Reply Page(const std::string& html) {
  return Reply{200, html, {{"Content-Type", "text/html; charset=utf-8"}}};
}

// A small web site. Pages can be changed, and "/" can be held until released.
class Site {
 public:
  Site() : server_([this](const ReceivedRequest& r) { return Serve(r); }) {}

  Reply Serve(const ReceivedRequest& r) {
    if (r.method == "POST") return Reply{204, "", {}};  // webhook receiver
    if (r.target == "/robots.txt") {
      return Reply{200, "User-agent: *\nDisallow: /private\n", {{"Content-Type", "text/plain"}}};
    }
    if (r.target == "/" && hold_) gate_.wait();
    if (r.target == "/") {
      return Page(Html("Home",
                       "<h1>Welcome to the campus</h1><p>Classes start in September.</p>"
                       "<a href=/about>About</a> <a href=/private/secret>Secret</a> "
                       "<a href='/dup#x'>Dup</a> <a href=https://elsewhere.example.net/>"
                       "Elsewhere</a> <a href=/missing>Missing</a> "
                       "<a href=/notes.txt>Notes</a> <a href=/logo.png>Logo</a>"));
    }
    if (r.target == "/about") {
      if (about_noindex_) {
        return Page(
            "<html><head><meta name=robots content=noindex></head><body><p>Moved "
            "to print.</p></body></html>");
      }
      if (r.Header("if-none-match") == "\"about-v1\"") return Reply{304, "", {}};
      auto reply = Page(Html("About us",
                             "<p>We teach &amp; research since 1901.</p>"
                             "<a href=/deep>Deeper</a>"));
      reply.headers.emplace_back("ETag", "\"about-v1\"");
      return reply;
    }
    if (r.target == "/dup") {  // the same text as /about under another URL
      return Page(Html("Copy",
                       "<p>We teach &amp; research since 1901.</p>"
                       "<a href=/deep>Deeper</a>"));
    }
    if (r.target == "/deep") {
      if (deep_gone_) return Reply{404, "gone", {}};
      return Page(Html("Deep", "<p>The library opens at 8.</p>"));
    }
    if (r.target == "/notes.txt") {
      return Reply{200, "Plain notes about exams.\n", {{"Content-Type", "text/plain"}}};
    }
    if (r.target == "/logo.png") return Reply{200, "PNG", {{"Content-Type", "image/png"}}};
    return Reply{404, "not found", {}};
  }

  std::vector<std::string> Targets() {
    std::vector<std::string> out;
    for (const auto& r : server_.Received())
      out.push_back(r.method + " " + r.target);
    return out;
  }

  LoopbackHttpServer server_;
  std::atomic<bool> deep_gone_{false};
  std::atomic<bool> about_noindex_{false};
  std::atomic<bool> hold_{false};
  std::promise<void> release_;
  std::shared_future<void> gate_ = release_.get_future().share();
};

class ScrapingTest : public ::testing::Test {
 protected:
  explicit ScrapingTest(bool allow_private = true)
      : server_([allow_private](Config& c) {
          c.admin.email = kRoot;
          c.admin.password = kRootPassword;
          c.outbound.allow_private_addresses = allow_private;
          c.scraping.min_delay = std::chrono::milliseconds(0);
          c.scraping.poll_interval = std::chrono::milliseconds(50);
          c.scraping.schedule_check = std::chrono::milliseconds(50);
          c.knowledge.job_poll_interval = std::chrono::milliseconds(50);
          c.knowledge.index_poll_interval = std::chrono::milliseconds(50);
        }),
        api_(server_.port()) {
    root_ = api_.Login(kRoot, kRootPassword);
    bot_ =
        std::string(api_.Post("/api/chatbots", {{"name", "Campus"}}, root_).at("id").as_string());
  }

  ApiResponse AddUrl(const std::string& url, int max_depth = 3) {
    return api_.Post("/api/scraping/urls",
                     {{"chatbot_id", bot_}, {"url", url}, {"max_depth", max_depth}}, root_);
  }

  // Triggers a crawl and waits until it is over; returns the finished job.
  boost::json::object CrawlOnce() {
    auto t = api_.Post("/api/scraping/trigger", {{"chatbot_id", bot_}}, root_);
    EXPECT_EQ(t.status, 202u) << t.raw.body();
    return WaitForJob(std::string(t.at("id").as_string()));
  }

  boost::json::object WaitForJob(const std::string& id) {
    for (int i = 0; i < 600; ++i) {
      auto s = api_.Get("/api/scraping/status?chatbot_id=" + bot_, root_);
      for (const auto& j : s.at("jobs").as_array()) {
        const auto& o = j.as_object();
        if (o.at("id").as_string() == id && o.at("status").as_string() != "queued" &&
            o.at("status").as_string() != "running") {
          return o;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ADD_FAILURE() << "crawl did not finish";
    return {};
  }

  int64_t Pages() {
    return api_.Get("/api/scraping/status?chatbot_id=" + bot_, root_).at("pages").as_int64();
  }

  std::string Content(const std::string& url) {
    auto rows = server_.app().database().Query(
        "SELECT content FROM scraped_content WHERE chatbot_id = ? AND url = ? AND is_active = 1",
        {bot_, url});
    if (!rows.ok() || rows->empty()) return "";
    return rows->rows[0].GetString(0);
  }

  Site site_;
  TestServer server_;
  ApiClient api_;
  std::string root_;
  std::string bot_;
};

TEST_F(ScrapingTest, CrawlsTheSiteObeyingRobotsAndStoresCleanText) {
  auto hook =
      api_.Post("/api/chatbots/" + bot_ + "/webhooks",
                {{"url", site_.server_.url("/hook")}, {"events", {"scraping.completed"}}}, root_);
  ASSERT_EQ(hook.status, 201u);
  auto added = AddUrl(site_.server_.url("/"));
  ASSERT_EQ(added.status, 201u) << added.raw.body();
  EXPECT_EQ(added.at("url").as_string(), site_.server_.url("/"));

  auto job = CrawlOnce();
  ASSERT_EQ(job.at("status").as_string(), "succeeded") << boost::json::serialize(job);
  // /, /about, /deep, /notes.txt are stored; /dup has /about's text; /logo.png is not text.
  EXPECT_EQ(Pages(), 4);
  EXPECT_EQ(job.at("pages").at("changed").as_int64(), 4);
  EXPECT_EQ(job.at("pages").at("failed").as_int64(), 1);  // /missing
  auto targets = site_.Targets();
  EXPECT_EQ(targets.front(), "GET /robots.txt");
  for (const auto& t : targets) {
    EXPECT_EQ(t.find("/private"), std::string::npos) << "robots.txt disobeyed";
  }

  std::string about = Content(site_.server_.url("/about"));
  EXPECT_NE(about.find("We teach & research since 1901."), std::string::npos) << about;
  EXPECT_EQ(about.find("<p>"), std::string::npos);
  EXPECT_EQ(about.find("tracking"), std::string::npos);
  EXPECT_EQ(about.find("Copyright footer"), std::string::npos);
  EXPECT_NE(Content(site_.server_.url("/notes.txt")).find("Plain notes"), std::string::npos);
  auto title = server_.app().database().Query("SELECT title FROM scraped_content WHERE url = ?",
                                              {site_.server_.url("/about")});
  ASSERT_TRUE(title.ok() && !title->empty());
  EXPECT_EQ(title->rows[0].GetString(0), "About us");

  auto audit = api_.Get("/api/audit-logs?action=scraping.trigger", root_);
  ASSERT_EQ(audit.at("items").as_array().size(), 1u);
  EXPECT_EQ(audit.at("items").at(0).at("target_id").as_string(), job.at("id").as_string());
  EXPECT_EQ(
      api_.Get("/api/audit-logs?action=scraping.url_create", root_).at("items").as_array().size(),
      1u);

  bool notified = false;
  for (int i = 0; i < 400 && !notified; ++i) {
    for (const auto& r : site_.server_.Received()) {
      notified = notified || r.Header("studybot-event") == "scraping.completed";
    }
    if (!notified) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_TRUE(notified);
}

// Issue 9: crawled pages become searchable; a page the site removes, and the pages of a deleted
// scraping URL, leave the index.
TEST_F(ScrapingTest, CrawledPagesAreSearchableAndLeaveTheIndexWhenWithdrawn) {
  auto added = AddUrl(site_.server_.url("/"));
  ASSERT_EQ(added.status, 201u);
  ASSERT_EQ(CrawlOnce().at("status").as_string(), "succeeded");
  auto finds = [&](const std::string& query) {
    auto r = api_.Post("/api/chatbots/" + bot_ + "/search", {{"query", query}, {"mode", "keyword"}},
                       root_);
    EXPECT_EQ(r.status, 200u) << r.raw.body();
    for (const auto& hit : r.at("results").as_array()) {
      if (hit.at("url").as_string() == site_.server_.url("/deep")) return true;
    }
    return false;
  };
  WaitUntil([&] { return finds("when does the library open"); });
  ASSERT_TRUE(finds("when does the library open"));
  auto docs = api_.Get("/api/chatbots/" + bot_ + "/documents?source=crawl", root_);
  EXPECT_EQ(docs.at("items").as_array().size(), 4u);  // /, /about, /deep, /notes.txt

  // Re-crawled unchanged: nothing is ingested again (the crawl itself is a job of the queue).
  const std::string ingest_jobs = "SELECT COUNT(*) FROM jobs WHERE kind <> 'crawl'";
  auto jobs_before = server_.app().database().Query(ingest_jobs);
  ASSERT_EQ(CrawlOnce().at("status").as_string(), "succeeded");
  auto jobs_after = server_.app().database().Query(ingest_jobs);
  EXPECT_EQ(jobs_after->rows[0].GetInt(0), jobs_before->rows[0].GetInt(0));

  site_.deep_gone_ = true;
  ASSERT_EQ(CrawlOnce().at("status").as_string(), "succeeded");
  WaitUntil([&] { return !finds("when does the library open"); });
  EXPECT_FALSE(finds("when does the library open"));
  EXPECT_EQ(api_.Get("/api/chatbots/" + bot_ + "/documents?source=crawl", root_)
                .at("items")
                .as_array()
                .size(),
            3u);

  // Deleting the scraping URL removes its site's chunks.
  ASSERT_EQ(
      api_.Delete("/api/scraping/urls/" + std::string(added.at("id").as_string()), root_).status,
      204u);
  auto chunks =
      server_.app().database().Query("SELECT COUNT(*) FROM chunks WHERE chatbot_id = ?", {bot_});
  EXPECT_EQ(chunks->rows[0].GetInt(0), 0);
  WaitUntil([&] { return server_.app().knowledge().builtin->Size(bot_) == 0; });
  EXPECT_EQ(server_.app().knowledge().builtin->Size(bot_), 0u);
}

TEST_F(ScrapingTest, ReCrawlsAreIncrementalAndGonePagesAreDropped) {
  ASSERT_EQ(AddUrl(site_.server_.url("/")).status, 201u);
  ASSERT_EQ(CrawlOnce().at("status").as_string(), "succeeded");
  ASSERT_EQ(Pages(), 4);

  site_.deep_gone_ = true;
  auto second = CrawlOnce();
  ASSERT_EQ(second.at("status").as_string(), "succeeded");
  EXPECT_EQ(second.at("pages").at("changed").as_int64(), 0);
  EXPECT_EQ(second.at("pages").at("unchanged").as_int64(), 3);  // /, /about (304), /notes.txt
  EXPECT_EQ(Pages(), 3);
  EXPECT_TRUE(Content(site_.server_.url("/deep")).empty());
  bool conditional = false;
  for (const auto& r : site_.server_.Received()) {
    conditional = conditional || r.Header("if-none-match") == "\"about-v1\"";
  }
  EXPECT_TRUE(conditional);

  // A page the site now marks noindex is withdrawn.
  site_.about_noindex_ = true;
  ASSERT_EQ(CrawlOnce().at("status").as_string(), "succeeded");
  EXPECT_TRUE(Content(site_.server_.url("/about")).empty());
  // Its text, still served at /dup, is no longer a duplicate: kept from there.
  EXPECT_FALSE(Content(site_.server_.url("/dup")).empty());
  EXPECT_EQ(Pages(), 3);  // /, /notes.txt, /dup
}

TEST_F(ScrapingTest, OneCrawlPerChatbotAtATime) {
  ASSERT_EQ(AddUrl(site_.server_.url("/")).status, 201u);
  site_.hold_ = true;
  auto first = api_.Post("/api/scraping/trigger", {{"chatbot_id", bot_}}, root_);
  ASSERT_EQ(first.status, 202u);
  auto second = api_.Post("/api/scraping/trigger", {{"chatbot_id", bot_}}, root_);
  EXPECT_EQ(second.status, 409u);
  EXPECT_EQ(second.ErrorCode(), "scrape_in_progress");
  EXPECT_TRUE(api_.Get("/api/scraping/status?chatbot_id=" + bot_, root_).at("running").as_bool());
  site_.release_.set_value();
  EXPECT_EQ(WaitForJob(std::string(first.at("id").as_string())).at("status").as_string(),
            "succeeded");
}

TEST_F(ScrapingTest, ValidatesInputAndAccess) {
  EXPECT_EQ(AddUrl("ftp://files.example.com/").status, 400u);
  EXPECT_EQ(AddUrl("https://user:pw@example.com/").status, 400u);
  EXPECT_EQ(AddUrl("not a url").status, 400u);
  EXPECT_EQ(AddUrl("https://example.com/", 99).status, 400u);
  std::string long_path;
  for (int i = 0; i < 700; ++i)
    long_path += "\xC3\xA9";  // 700 characters, 4200 once percent-encoded
  auto too_long = AddUrl("https://example.com/" + long_path);
  EXPECT_EQ(too_long.status, 400u) << too_long.raw.body();
  EXPECT_EQ(
      api_.Post("/api/scraping/urls", {{"chatbot_id", "nope"}, {"url", "https://a.com/"}}, root_)
          .status,
      404u);
  EXPECT_EQ(api_.Post("/api/scraping/urls",
                      {{"chatbot_id", bot_}, {"url", "https://a.com/"}, {"extra", 1}}, root_)
                .status,
            400u);
  // Nothing to crawl yet.
  auto empty = api_.Post("/api/scraping/trigger", {{"chatbot_id", bot_}}, root_);
  EXPECT_EQ(empty.status, 422u);
  auto added = AddUrl("https://WWW.Example.com:443/a/../start?utm_source=x");
  ASSERT_EQ(added.status, 201u) << added.raw.body();
  EXPECT_EQ(added.at("url").as_string(), "https://www.example.com/start");
  EXPECT_EQ(AddUrl("https://www.example.com/start").status, 409u);
  EXPECT_EQ(api_.Get("/api/scraping/status", root_).status, 400u);
  EXPECT_EQ(api_.Post("/api/scraping/trigger", {{"chatbot_id", bot_}, {"source_id", "nope"}}, root_)
                .status,
            404u);

  std::string other(api_.Post("/api/chatbots", {{"name", "Other"}}, root_).at("id").as_string());
  std::string token = api_.SignInBotAdmin(root_, other);
  std::string source(added.at("id").as_string());
  EXPECT_EQ(api_.Get("/api/scraping/urls?chatbot_id=" + bot_, token).status, 403u);
  EXPECT_EQ(api_.Get("/api/scraping/urls", token).at("items").as_array().size(), 0u);
  EXPECT_EQ(api_.Delete("/api/scraping/urls/" + source, token).status, 403u);
  EXPECT_EQ(api_.Post("/api/scraping/trigger", {{"chatbot_id", bot_}}, token).status, 403u);
  EXPECT_EQ(api_.Get("/api/scraping/status?chatbot_id=" + bot_, token).status, 403u);
  EXPECT_EQ(api_.Get("/api/scraping/urls", root_).at("items").as_array().size(), 1u);
  EXPECT_EQ(api_.Delete("/api/scraping/urls/" + source, root_).status, 204u);
  EXPECT_EQ(api_.Delete("/api/scraping/urls/" + source, root_).status, 404u);
  EXPECT_EQ(
      api_.Get("/api/audit-logs?action=scraping.url_delete", root_).at("items").as_array().size(),
      1u);
}

TEST_F(ScrapingTest, SourcesWithAScheduleAreReCrawledWhenDue) {
  auto added = api_.Post(
      "/api/scraping/urls",
      {{"chatbot_id", bot_}, {"url", site_.server_.url("/")}, {"recrawl_hours", 24}}, root_);
  ASSERT_EQ(added.status, 201u) << added.raw.body();
  EXPECT_EQ(added.at("recrawl_hours").as_int64(), 24);
  std::string source(added.at("id").as_string());
  auto jobs = [&] {
    return api_.Get("/api/scraping/status?chatbot_id=" + bot_, root_).at("jobs").as_array();
  };
  auto finished = [&](std::size_t n) {
    for (int i = 0; i < 600; ++i) {
      auto j = jobs();
      if (j.size() >= n && j[0].at("status") != "queued" && j[0].at("status") != "running") {
        return j;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ADD_FAILURE() << "no scheduled crawl";
    return jobs();
  };
  // Never crawled: due at once, without a trigger.
  auto first = finished(1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].at("trigger").as_string(), "scheduled");
  EXPECT_EQ(first[0].at("status").as_string(), "succeeded");
  EXPECT_EQ(first[0].at("source_id").as_string(), source);
  EXPECT_EQ(Pages(), 4);
  // Not due again before its interval: several scheduler passes queue nothing.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(jobs().size(), 1u);
  // Last crawled 25 hours ago: due.
  auto aged = server_.app().database().Execute(
      "UPDATE scraping_sources SET last_scraped_at = ? WHERE id = ?",
      {FormatRfc3339Millis(std::chrono::system_clock::now() - std::chrono::hours(25)), source});
  ASSERT_TRUE(aged.ok());
  auto second = finished(2);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].at("trigger").as_string(), "scheduled");
  EXPECT_EQ(second[0].at("pages").at("changed").as_int64(), 0);  // incremental
}

class ScrapingGuardTest : public ScrapingTest {
 protected:
  ScrapingGuardTest() : ScrapingTest(/*allow_private=*/false) {}
};

TEST_F(ScrapingGuardTest, PrivateAddressesAreRefusedByDefault) {
  ASSERT_EQ(AddUrl(site_.server_.url("/")).status, 201u);
  auto job = CrawlOnce();
  EXPECT_EQ(job.at("status").as_string(), "failed");
  EXPECT_NE(job.at("error").as_string().find("private"), std::string::npos) << job.at("error");
  EXPECT_TRUE(site_.server_.Received().empty());
  EXPECT_EQ(Pages(), 0);
}

}  // namespace
}  // namespace studybot::testing
