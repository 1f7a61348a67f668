// CrawlFeed: crawled pages into the knowledge pipeline. Every page the crawler stores, changes or
// re-checks becomes (or stays) a document of source "crawl" (one per scraped_content row) and is
// ingested by the same pipeline as uploads; only chunks whose text changed are embedded again
// (the embedding cache). Pages the crawler withdraws leave the index with their document.
//
// Idempotent: a page already ingested at its current content costs one query. Thread-safe.
#pragma once

#include <functional>

#include "core/log.h"
#include "core/time.h"
#include "ingest/document_repository.h"
#include "jobs/job_queue.h"
#include "scraping/page_observer.h"

namespace studybot::ingest {

class CrawlFeed final : public scraping::PageObserver {
 public:
  CrawlFeed(DocumentRepository& docs, jobs::JobQueue& queue, const Clock& clock, Logger& logger,
            std::function<void()> on_change = {})
      : docs_(docs),
        queue_(queue),
        clock_(clock),
        logger_(logger),
        on_change_(std::move(on_change)) {}

  void PageCurrent(const scraping::ObservedPage& page) override;
  void PageGone(const std::string& chatbot_id, const std::string& url) override;
  void PagesGone(const std::string& chatbot_id, const std::string& url_prefix) override;

 private:
  DocumentRepository& docs_;
  jobs::JobQueue& queue_;
  const Clock& clock_;
  Logger& logger_;
  std::function<void()> on_change_;
};

}  // namespace studybot::ingest
