#include "ingest/crawl_feed.h"

#include "core/ids.h"
#include "ingest/pipeline.h"

namespace studybot::ingest {

void CrawlFeed::PageCurrent(const scraping::ObservedPage& page) {
  auto existing = docs_.FindByPage(page.id);
  if (!existing.ok()) {
    logger_.Warn("crawl feed: lookup failed", {{"error", existing.error().message}});
    return;
  }
  std::string now = FormatRfc3339Millis(clock_.Now());
  Status st = OkStatus();
  if (!existing->has_value()) {
    Document d;
    d.id = NewUuid();
    d.chatbot_id = page.chatbot_id;
    d.source = "crawl";
    d.page_id = page.id;
    d.title = page.title;
    d.url = page.url;
    d.format = "text";
    d.content_hash = page.content_hash;
    d.created_at = now;
    d.updated_at = now;
    st = docs_.Insert(d, page.content, queue_, IngestJobFor(d));
    // Another process fed the same page a moment ago: its document stands.
    if (!st.ok() && st.error().code == ErrorCode::kConflict) return;
  } else {
    Document d = **existing;
    if (d.content_hash == page.content_hash && d.title == page.title && d.status != "failed") {
      return;  // already ingested (or queued) as it is
    }
    d.title = page.title;
    d.url = page.url;
    d.content_hash = page.content_hash;
    d.version += 1;
    d.updated_at = now;
    auto replaced = docs_.Replace(d, page.content, queue_, IngestJobFor(d));
    st = replaced.ok() ? OkStatus() : Status(replaced.error());
  }
  if (!st.ok()) {
    logger_.Warn("crawl feed: queuing a page failed", {{"error", st.error().message}});
    return;
  }
  if (on_change_) on_change_();
}

void CrawlFeed::PageGone(const std::string& chatbot_id, const std::string& url) {
  auto doc = docs_.FindCrawled(chatbot_id, url);
  if (!doc.ok() || !doc->has_value()) return;
  auto deleted = docs_.Delete(chatbot_id, (*doc)->id);
  if (!deleted.ok()) {
    logger_.Warn("crawl feed: removing a page failed", {{"error", deleted.error().message}});
    return;
  }
  if (on_change_) on_change_();
}

void CrawlFeed::PagesGone(const std::string& chatbot_id, const std::string& url_prefix) {
  auto docs = docs_.CrawledUnder(chatbot_id, url_prefix);
  if (!docs.ok()) return;
  for (const auto& id : *docs)
    (void)docs_.Delete(chatbot_id, id);
  if (on_change_) on_change_();
}

}  // namespace studybot::ingest
