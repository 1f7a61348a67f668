// ScrapingRepository: the SQL of scraping sources, crawl records (scrape_jobs) and scraped pages.
// Blocking; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "jobs/job_queue.h"
#include "scraping/page_observer.h"
#include "storage/database.h"

namespace studybot::scraping {

struct Source {
  std::string id;
  std::string chatbot_id;
  std::string url;
  int64_t max_pages = 100;
  int64_t max_depth = 3;
  int64_t recrawl_hours = 0;  // 0: crawled on demand only
  std::string created_by;
  std::string created_at;
  std::string last_scraped_at;
};

struct JobCounts {
  int64_t fetched = 0;    // HTTP requests for pages (robots.txt not counted)
  int64_t changed = 0;    // new or changed pages stored
  int64_t unchanged = 0;  // 304, or the same text as stored
  int64_t skipped = 0;    // robots.txt, noindex, not HTML, off-site redirect, duplicate text
  int64_t failed = 0;     // network errors and HTTP errors
};

// A crawl as admins see it (GET /api/scraping/status) and webhooks report it. It runs as a job of
// the generic queue (crawl_job.h), which holds the claim and lease; this record holds the outcome.
struct Job {
  std::string id;
  std::string chatbot_id;
  std::string source_id;  // "" for every source of the chatbot
  std::string status = "queued";
  std::string trigger = "manual";
  std::string requested_by;
  JobCounts counts;
  std::string error;
  std::string created_at;
  std::string started_at;
  std::string finished_at;
};

// What is stored of one page, as the crawler needs it for conditional requests.
struct StoredPage {
  std::string id;
  std::string content_hash;
  std::string etag;
  std::string last_modified;
  bool active = true;
};

struct PageWrite {
  std::string chatbot_id;
  std::string url;
  std::string title;
  std::string content;
  std::string content_hash;
  std::string etag;
  std::string last_modified;
  std::string now;
};

class ScrapingRepository {
 public:
  // `observer` (may be null) hears of every page write (see page_observer.h).
  explicit ScrapingRepository(storage::Database& db, PageObserver* observer = nullptr)
      : db_(db), observer_(observer) {}

  // kConflict when the chatbot already has this URL.
  Status InsertSource(const Source& source);
  Result<std::optional<Source>> FindSource(const std::string& id);
  // Every source of a chatbot ("" for all chatbots; `member` restricts to a bot admin's).
  Result<std::vector<Source>> ListSources(const std::string& chatbot_id,
                                          const std::optional<std::string>& member);
  // Deletes the source; its site's pages leave the index unless another source of the chatbot
  // crawls the same site.
  Status DeleteSource(const std::string& id);
  Status MarkSourceScraped(const std::string& id, const std::string& at);
  // Sources with a re-crawl interval (for the scheduler), at most `limit`.
  Result<std::vector<Source>> ScheduledSources(int limit);
  // True when the chatbot has a queued or running job.
  Result<bool> HasActiveJob(const std::string& chatbot_id);

  // Inserts the crawl record and queues `crawl` (the queue job that runs it), atomically.
  // kConflict (with the running job's id in the message) when the chatbot already has a queued
  // or running crawl: one crawl per chatbot at a time.
  Status InsertJob(const Job& job, jobs::JobQueue& queue, const jobs::JobSpec& crawl);
  Result<std::optional<Job>> FindJob(const std::string& id);
  // Newest first.
  Result<std::vector<Job>> ListJobs(const std::string& chatbot_id, int limit);
  // Marks a queued or running crawl running (again: a new attempt starts its counts from zero).
  // False when it is gone (deleted with its source or chatbot) or already finished.
  Result<bool> StartJob(const std::string& id, const std::string& now);
  // Saves the counts so far of a running crawl; false when it is gone or already finished.
  Result<bool> SaveCounts(const std::string& id, const JobCounts& counts);
  // Saves the outcome (status, error, finished_at, counts) of a queued or running crawl. False
  // when it is gone or was already finished: only the first outcome counts.
  Result<bool> FinishJob(const Job& job);

  Result<std::optional<StoredPage>> FindPage(const std::string& chatbot_id, const std::string& url);
  // True when another active page of the chatbot (another URL) has this text.
  Result<bool> DuplicateExists(const std::string& chatbot_id, const std::string& url,
                               const std::string& content_hash);
  // Inserts or replaces the page (and makes it active).
  Status UpsertPage(const PageWrite& page);
  // Records that the page was checked and has not changed.
  Status TouchPage(const std::string& id, const std::string& now);
  // The page is gone (404/410): kept for history, no longer used for answers.
  Status DeactivatePage(const std::string& chatbot_id, const std::string& url,
                        const std::string& now);
  Result<int64_t> CountActivePages(const std::string& chatbot_id);
  // URLs of the chatbot's active pages that start with `prefix` (a site's origin + "/"): re-crawls
  // check each of them, not only what links still reach.
  Result<std::vector<std::string>> ActivePageUrls(const std::string& chatbot_id,
                                                  const std::string& prefix, int limit);

 private:
  void Observe(const std::string& chatbot_id, const std::string& url);

  storage::Database& db_;
  PageObserver* observer_;
};

}  // namespace studybot::scraping
