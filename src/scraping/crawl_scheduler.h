// CrawlScheduler: a background thread that queues the scheduled re-crawls (recrawl_hours) that are
// due, at start and then every `every`. Any number of server processes may run one: a chatbot
// gets at most one queued or running crawl (ScrapingRepository::InsertJob).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "core/log.h"
#include "scraping/crawl_job.h"

namespace studybot::scraping {

class CrawlScheduler {
 public:
  // `on_queued` is called after a pass queued crawls (to wake the workers).
  CrawlScheduler(CrawlJob& crawls, Logger& logger, std::chrono::milliseconds every,
                 std::function<void()> on_queued)
      : crawls_(crawls), logger_(logger), every_(every), on_queued_(std::move(on_queued)) {}
  ~CrawlScheduler() { Stop(); }

  void Start();
  void Stop();

 private:
  void Loop();

  CrawlJob& crawls_;
  Logger& logger_;
  const std::chrono::milliseconds every_;
  std::function<void()> on_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // REQUIRES: mu_
  std::thread thread_;
};

}  // namespace studybot::scraping
