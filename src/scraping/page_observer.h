// PageObserver: what else happens when the crawler stores, re-checks or withdraws a page. The
// knowledge feature implements it (ingest/crawl_feed.h) so that crawled pages become documents
// of source "crawl" and leave the index when the site withdraws them. Called after the page's
// own write succeeded; errors are the observer's to record (the crawl goes on).
#pragma once

#include <string>

namespace studybot::scraping {

struct ObservedPage {
  std::string id;  // scraped_content id
  std::string chatbot_id;
  std::string url;
  std::string title;
  std::string content;
  std::string content_hash;
};

class PageObserver {
 public:
  virtual ~PageObserver() = default;
  // The page was stored or changed, or checked unchanged (the observer may have missed it
  // before: a crash between the two writes); it should end up searchable as it is now.
  virtual void PageCurrent(const ObservedPage& page) = 0;
  // The page is withdrawn (gone, robots, noindex, off-site, no longer text).
  virtual void PageGone(const std::string& chatbot_id, const std::string& url) = 0;
  // Every page of the chatbot under `url_prefix` is no longer crawled (its source was deleted).
  virtual void PagesGone(const std::string& chatbot_id, const std::string& url_prefix) = 0;
};

}  // namespace studybot::scraping
