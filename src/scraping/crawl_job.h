// CrawlJob: crawls run as jobs of the generic queue (jobs/job_queue.h), of kind "crawl", each for
// one crawl record of scrape_jobs (its id in the payload: {"scrape_job_id": ...}). The queue
// gives the claim, the lease and its heartbeat, the retry once a dead worker's lease runs out,
// and the release at shutdown; the record is what admins (GET /api/scraping/status) and webhooks
// see, and only this handler writes its status and counts.
//
// An attempt marks the record running, crawls its source (or every source of the chatbot),
// saving the counts before each request, then records the outcome and publishes
// scraping.completed or scraping.failed. Only the first outcome recorded counts (FinishJob), so
// each crawl is published once even when a worker whose lease ran out finishes beside the one
// that took it over. An attempt interrupted (shutdown, lease lost) leaves the record running; the
// next one starts the crawl again from the start URL (pages already stored are unchanged then)
// with its counts from zero. A record deleted meanwhile (with its source or chatbot) ends the job
// quietly. A crawl whose attempts are used up (workers died, or the database failed every time)
// is recorded as failed, so that the chatbot can be crawled again.
//
// Thread-safe: the JobWorker may run several crawls (of different chatbots) at once.
#pragma once

#include <boost/json/object.hpp>

#include "core/events.h"
#include "core/log.h"
#include "core/time.h"
#include "jobs/job_queue.h"
#include "jobs/job_worker.h"
#include "scraping/crawler.h"
#include "scraping/repository.h"

namespace studybot::scraping {

inline constexpr const char* kCrawlJob = "crawl";

// The queue job that runs `crawl` (a new scrape_jobs record).
jobs::JobSpec CrawlJobFor(const Job& crawl);

class CrawlJob {
 public:
  // `events` may be null.
  CrawlJob(ScrapingRepository& repo, Crawler& crawler, jobs::JobQueue& queue, const Clock& clock,
           Logger& logger, EventSink* events)
      : repo_(repo),
        crawler_(crawler),
        queue_(queue),
        clock_(clock),
        logger_(logger),
        events_(events) {}

  // The JobWorker handler of kCrawlJob. A crawl that failed (a source could not be crawled) is
  // recorded and answers kUnprocessable, so that the queue job fails too, without a retry.
  Status Run(jobs::JobContext& ctx);

  // Queues a scheduled crawl for each source whose re-crawl (recrawl_hours) is due and whose
  // chatbot has no crawl queued or running; returns how many were queued.
  int EnqueueDue();

 private:
  // The attempt; errors are the handler's own (the database), retried by the queue.
  Status Attempt(jobs::JobContext& ctx, const std::string& id, Job& job);
  // Records the outcome in `job` and publishes it, unless another attempt already did.
  Status Finish(Job& job, const std::string& errors);

  ScrapingRepository& repo_;
  Crawler& crawler_;
  jobs::JobQueue& queue_;
  const Clock& clock_;
  Logger& logger_;
  EventSink* events_;
};

boost::json::object JobJson(const Job& job);

}  // namespace studybot::scraping
