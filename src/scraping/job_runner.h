// ScrapeJobRunner: a background thread that claims queued crawl jobs from the database (any
// server process may run one: claims are atomic and leased), crawls the job's sources, records
// the counts and publishes scraping.completed or scraping.failed. A job whose worker died is
// claimed again once its lease runs out.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/events.h"
#include "core/log.h"
#include "core/time.h"
#include "scraping/crawler.h"
#include "scraping/repository.h"

namespace studybot::scraping {

struct JobRunnerOptions {
  std::chrono::milliseconds poll_interval{2'000};
  std::chrono::milliseconds lease{60'000};
  // How often idle runners look for sources whose re-crawl (recrawl_hours) is due.
  std::chrono::milliseconds schedule_check{60'000};
};

class ScrapeJobRunner {
 public:
  ScrapeJobRunner(ScrapingRepository& repo, Crawler& crawler, const Clock& clock, Logger& logger,
                  EventSink* events, JobRunnerOptions options)
      : repo_(repo),
        crawler_(crawler),
        clock_(clock),
        logger_(logger),
        events_(events),
        options_(options) {}
  ~ScrapeJobRunner() { Stop(); }

  void Start();
  // Stops after the page in flight; an unfinished job is picked up again after its lease.
  void Stop();
  void Wake();
  // Claims and runs one job; false when none was due.
  bool RunOnce();
  // Queues a scheduled crawl for each source whose re-crawl is due (and whose chatbot has no
  // crawl queued or running); returns how many were queued.
  int EnqueueDue();

 private:
  void Loop();
  bool Stopping();
  void Run(Job& job);

  ScrapingRepository& repo_;
  Crawler& crawler_;
  const Clock& clock_;
  Logger& logger_;
  EventSink* events_;
  JobRunnerOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  std::chrono::steady_clock::time_point last_schedule_check_{};
  std::thread thread_;
};

boost::json::object JobJson(const Job& job);

}  // namespace studybot::scraping
