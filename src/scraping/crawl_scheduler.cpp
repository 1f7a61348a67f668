#include "scraping/crawl_scheduler.h"

namespace studybot::scraping {

void CrawlScheduler::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void CrawlScheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CrawlScheduler::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    int queued = 0;
    try {
      queued = crawls_.EnqueueDue();
    } catch (const std::exception& e) {
      logger_.Error("scheduled crawls not queued", {{"error", e.what()}});
    }
    if (queued > 0 && on_queued_) on_queued_();
    lock.lock();
    cv_.wait_for(lock, every_, [this] { return stop_; });
  }
}

}  // namespace studybot::scraping
