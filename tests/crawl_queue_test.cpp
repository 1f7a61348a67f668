// Crawls on the generic job queue, on SQLite and on MariaDB, against a small site on loopback: a
// crawl whose worker died is taken over once the lease runs out (no page stored twice, one
// webhook event), a crawl whose workers keep dying is given up and recorded as failed, a crawl
// stopped by shutdown goes back to the queue and is finished by the next worker, and a crawl
// whose source is deleted ends quietly.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "core/fake_clock.h"
#include "core/ids.h"
#include "jobs/job_worker.h"
#include "loopback_http_server.h"
#include "outbound/http_client.h"
#include "scraping/crawl_job.h"
#include "storage_fixture.h"

namespace studybot::scraping {
namespace {

using std::chrono::milliseconds;
using testing::LoopbackHttpServer;
using testing::ReceivedRequest;
using testing::Reply;

constexpr std::chrono::seconds kLease{30};

class RecordingSink final : public EventSink {
 public:
  void Publish(const std::string&, const std::string& event, boost::json::object data) override {
    std::lock_guard lock(mu_);
    events_.emplace_back(event, std::move(data));
  }
  std::vector<std::pair<std::string, boost::json::object>> Events() {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<std::string, boost::json::object>> events_;
};

// "/" links to /a, /b and /c. /b can be held (the test then knows where the crawl is).
class Site {
 public:
  Site() : server_([this](const ReceivedRequest& r) { return Serve(r); }) {}

  Reply Serve(const ReceivedRequest& r) {
    if (r.target == "/robots.txt") return Reply{404, "", {}};
    if (r.target == "/b") {
      b_requested_ = true;
      for (int i = 0; i < 2000 && hold_b_.load(); ++i)
        std::this_thread::sleep_for(milliseconds(5));
    }
    std::string body = r.target == "/" ? "<a href=/a>A</a> <a href=/b>B</a> <a href=/c>C</a>" : "";
    if (r.target == "/" || r.target == "/a" || r.target == "/b" || r.target == "/c") {
      body = "<title>Page " + r.target + "</title><p>The text of page " + r.target + ".</p>" + body;
      return Reply{200, body, {{"Content-Type", "text/html"}}};
    }
    return Reply{404, "", {}};
  }

  LoopbackHttpServer server_;
  std::atomic<bool> hold_b_{false};
  std::atomic<bool> b_requested_{false};
};

template <typename F>
bool WaitUntil(F done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return false;
}

class CrawlQueueTest : public storage::StorageTest {
 protected:
  void SetUp() override {
    storage::StorageTest::SetUp();
    db_ = OpenMigrated(8);
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(db_->Write("INSERT INTO chatbots (id, name, description, system_prompt, model, "
                           "allowed_domains, widget_settings, created_at, updated_at) VALUES "
                           "('bot', 'Bot', '', '', 'm', '[]', '{}', 'now', 'now')")
                    .ok());
    repo_ = std::make_unique<ScrapingRepository>(*db_);
    CrawlOptions o;
    o.min_delay = milliseconds(0);
    crawler_ = std::make_unique<Crawler>(http_, *repo_, clock_, o);
    queue_ = std::make_unique<jobs::JobQueue>(*db_, clock_, jobs::JobQueueOptions{kLease});
    crawls_ = std::make_unique<CrawlJob>(*repo_, *crawler_, *queue_, clock_, logger_, &sink_);
    Source s;
    s.id = "src";
    s.chatbot_id = "bot";
    s.url = site_.server_.url("/");
    s.created_at = Now();
    ASSERT_TRUE(repo_->InsertSource(s).ok());
  }

  std::string Now() const { return FormatRfc3339Millis(clock_.Now()); }

  // A crawl record and its queue job, as a trigger makes them.
  Job Queue(const std::string& source_id = {}) {
    Job j;
    j.id = NewUuid();
    j.chatbot_id = "bot";
    j.source_id = source_id;
    j.created_at = Now();
    auto st = repo_->InsertJob(j, *queue_, CrawlJobFor(j));
    EXPECT_TRUE(st.ok()) << st.error().message;
    return j;
  }

  std::unique_ptr<jobs::JobWorker> StartWorker() {
    auto w = std::make_unique<jobs::JobWorker>(*queue_, logger_,
                                               jobs::JobWorkerOptions{1, milliseconds(10), kLease});
    w->Register(kCrawlJob, [this](jobs::JobContext& ctx) { return crawls_->Run(ctx); });
    w->Start();
    return w;
  }

  Job Record(const std::string& id) {
    auto j = repo_->FindJob(id);
    EXPECT_TRUE(j.ok() && j->has_value());
    return j.ok() && j->has_value() ? **j : Job{};
  }

  bool Finished(const std::string& id) {
    auto status = Record(id).status;
    return status == "succeeded" || status == "failed";
  }

  jobs::Job QueueJob() {
    auto rows = db_->Query("SELECT id FROM jobs WHERE kind = 'crawl'");
    EXPECT_TRUE(rows.ok() && rows->size() == 1u);
    auto j = queue_->Find(rows->rows[0].GetString(0));
    EXPECT_TRUE(j.ok() && j->has_value());
    return **j;
  }

  int64_t Count(const std::string& sql) { return db_->Query(sql)->rows[0].GetInt(0); }

  Site site_;
  FakeClock clock_;
  Logger logger_{Logger::Options{LogLevel::kError, "stderr", milliseconds(200)}};
  outbound::CurlHttpClient http_{outbound::HttpClientOptions{outbound::AddressPolicy{true}}};
  RecordingSink sink_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<ScrapingRepository> repo_;
  std::unique_ptr<Crawler> crawler_;
  std::unique_ptr<jobs::JobQueue> queue_;
  std::unique_ptr<CrawlJob> crawls_;
};

TEST_P(CrawlQueueTest, ACrawlWhoseWorkerDiedIsFinishedByAnotherAfterTheLease) {
  Job crawl = Queue();
  // The dead worker: it claimed the crawl, marked it running, stored two pages, then was never
  // heard of again (no heartbeat, no outcome).
  auto dead = queue_->Claim({kCrawlJob});
  ASSERT_TRUE(dead.ok() && dead->has_value());
  ASSERT_TRUE(*repo_->StartJob(crawl.id, Now()));
  JobCounts partial;
  int requests = 0;
  (void)crawler_->Crawl(**repo_->FindSource("src"), partial, [&](const JobCounts& c) {
    (void)repo_->SaveCounts(crawl.id, c);
    return ++requests <= 2;
  });
  ASSERT_EQ(partial.changed, 2);
  EXPECT_EQ(Record(crawl.id).status, "running");
  EXPECT_EQ(Record(crawl.id).counts.changed, 2);  // saved before the request it never made

  // Leased: nobody else may take it yet.
  EXPECT_FALSE(queue_->Claim({kCrawlJob})->has_value());
  clock_.Advance(kLease + std::chrono::seconds(1));
  auto worker = StartWorker();
  ASSERT_TRUE(WaitUntil([&] { return Finished(crawl.id); }));
  ASSERT_TRUE(WaitUntil([&] { return QueueJob().status == "succeeded"; }));
  worker->Stop();

  Job done = Record(crawl.id);
  EXPECT_EQ(done.status, "succeeded");
  EXPECT_EQ(done.counts.fetched, 4);
  EXPECT_EQ(done.counts.changed, 2);    // /b and /c
  EXPECT_EQ(done.counts.unchanged, 2);  // stored by the dead worker
  EXPECT_FALSE(done.started_at.empty());
  EXPECT_FALSE(done.finished_at.empty());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM scraped_content WHERE chatbot_id = 'bot'"), 4);
  EXPECT_EQ(Count("SELECT COUNT(DISTINCT url) FROM scraped_content WHERE chatbot_id = 'bot'"), 4);
  jobs::Job q = QueueJob();
  EXPECT_EQ(q.attempts, 2);
  EXPECT_EQ(q.progress.at("pages").at("changed").as_int64(), 2);
  // The dead worker, were it to wake up, may no longer touch the job.
  EXPECT_FALSE(*queue_->Heartbeat(**dead, {}));
  EXPECT_FALSE(*queue_->Succeed(**dead, {}));
  auto events = sink_.Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].first, "scraping.completed");
  EXPECT_EQ(events[0].second.at("id").as_string(), crawl.id);
  EXPECT_EQ(events[0].second.at("pages").at("changed").as_int64(), 2);
}

TEST_P(CrawlQueueTest, ACrawlWhoseWorkersKeepDyingIsGivenUpAsFailed) {
  Job crawl = Queue();
  int dead = 0;  // workers that claimed it and died: every attempt it has
  for (bool last = false; !last; ++dead) {
    auto claimed = queue_->Claim({kCrawlJob});
    ASSERT_TRUE(claimed.ok() && claimed->has_value());
    last = (*claimed)->attempts == (*claimed)->max_attempts;
    clock_.Advance(kLease + std::chrono::seconds(1));
  }
  auto worker = StartWorker();
  ASSERT_TRUE(WaitUntil([&] { return Finished(crawl.id); }));
  ASSERT_TRUE(WaitUntil([&] { return QueueJob().status == "failed"; }));
  worker->Stop();
  Job done = Record(crawl.id);
  EXPECT_EQ(done.status, "failed");
  EXPECT_NE(done.error.find("interrupted " + std::to_string(dead) + " times"), std::string::npos)
      << done.error;
  EXPECT_TRUE(site_.server_.Received().empty());
  auto events = sink_.Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].first, "scraping.failed");
  // The chatbot is free to be crawled again.
  Queue();
}

TEST_P(CrawlQueueTest, ACrawlStoppedByShutdownIsResumedByTheNextWorker) {
  site_.hold_b_ = true;
  Job crawl = Queue();
  auto first = StartWorker();
  ASSERT_TRUE(WaitUntil([&] { return site_.b_requested_.load(); }));
  std::thread stopping([&] { first->Stop(); });
  ASSERT_TRUE(WaitUntil([&] { return first->stopping(); }));
  site_.hold_b_ = false;  // the page in flight ends; no further request is made
  stopping.join();
  EXPECT_EQ(Record(crawl.id).status, "running");
  jobs::Job q = QueueJob();
  EXPECT_EQ(q.status, "queued");  // back at once
  EXPECT_EQ(q.attempts, 0);       // a shutdown is not the crawl's fault
  EXPECT_TRUE(sink_.Events().empty());
  auto fetched = site_.server_.Received().size();

  auto second = StartWorker();
  ASSERT_TRUE(WaitUntil([&] { return Finished(crawl.id); }));
  second->Stop();
  EXPECT_GT(site_.server_.Received().size(), fetched);
  Job done = Record(crawl.id);
  EXPECT_EQ(done.status, "succeeded");
  EXPECT_EQ(done.counts.changed + done.counts.unchanged, 4);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM scraped_content WHERE chatbot_id = 'bot'"), 4);
  ASSERT_EQ(sink_.Events().size(), 1u);
  EXPECT_EQ(sink_.Events()[0].first, "scraping.completed");
}

TEST_P(CrawlQueueTest, ACrawlWhoseSourceIsDeletedEndsQuietly) {
  // Deleted while it runs: the crawl stops at its next page.
  site_.hold_b_ = true;
  Job crawl = Queue("src");
  auto worker = StartWorker();
  ASSERT_TRUE(WaitUntil([&] { return site_.b_requested_.load(); }));
  ASSERT_TRUE(repo_->DeleteSource("src").ok());
  EXPECT_FALSE(repo_->FindJob(crawl.id)->has_value());  // the record went with its source
  site_.hold_b_ = false;
  ASSERT_TRUE(WaitUntil([&] { return QueueJob().status == "succeeded"; }));
  for (const auto& r : site_.server_.Received())
    EXPECT_NE(r.target, "/c");
  EXPECT_TRUE(sink_.Events().empty());

  // Deleted while it waits in the queue: nothing is fetched.
  Source s;
  s.id = "src2";
  s.chatbot_id = "bot";
  s.url = site_.server_.url("/");
  s.created_at = Now();
  ASSERT_TRUE(repo_->InsertSource(s).ok());
  worker->Stop();
  ASSERT_TRUE(db_->Write("DELETE FROM jobs").ok());
  Job queued = Queue("src2");
  ASSERT_TRUE(repo_->DeleteSource("src2").ok());
  auto fetched = site_.server_.Received().size();
  worker = StartWorker();
  ASSERT_TRUE(WaitUntil([&] { return QueueJob().status == "succeeded"; }));
  worker->Stop();
  EXPECT_EQ(site_.server_.Received().size(), fetched);
  EXPECT_TRUE(sink_.Events().empty());
}

INSTANTIATE_TEST_SUITE_P(Engines, CrawlQueueTest,
                         ::testing::Values(storage::Backend::kSqlite, storage::Backend::kMariadb),
                         storage::BackendParamName);

}  // namespace
}  // namespace studybot::scraping
