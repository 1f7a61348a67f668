// Crawler: fetches one scraping source (a start URL and the pages of its site it links to) into
// scraped_content.
//
// Politeness: robots.txt is fetched first and obeyed (RFC 9309: a 4xx means no rules, a 5xx or an
// unreachable file means "do not crawl"), with its Crawl-delay (capped) or our own minimum delay
// between requests; one request at a time per site. Re-crawls are incremental: every page already
// stored is checked again with If-None-Match / If-Modified-Since, and a page whose text has not
// changed is only touched. Pages answering 404/410 are deactivated. Text already stored under
// another URL of the chatbot is skipped as a duplicate. The crawl stays on the start URL's site
// (scheme, host and port), follows links up to max_depth, honours noindex/nofollow, and stops at
// max_pages requests. Addresses are checked by the HTTP client (no private networks unless
// allowed). Blocking: runs on a job thread.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "core/result.h"
#include "core/time.h"
#include "outbound/http_client.h"
#include "scraping/repository.h"

namespace studybot::scraping {

struct CrawlOptions {
  std::chrono::milliseconds min_delay{500};     // between two requests to the site
  std::chrono::milliseconds max_delay{10'000};  // cap on robots.txt Crawl-delay
  std::chrono::milliseconds request_timeout{15'000};
  std::size_t max_page_bytes = 5 * 1024 * 1024;
  std::string user_agent_token = "studybot";
};

// Called before each request with the counts so far; false stops the crawl (shutdown, lost
// lease).
using CrawlProgress = std::function<bool(const JobCounts&)>;

class Crawler {
 public:
  Crawler(outbound::HttpClient& http, ScrapingRepository& repo, const Clock& clock,
          CrawlOptions options)
      : http_(http), repo_(repo), clock_(clock), options_(std::move(options)) {}

  // Adds what happened to `counts`. An error means the source could not be crawled at all (its
  // URL refused, robots.txt forbids or cannot be read, the database failed); failures of single
  // pages are counted instead.
  Status Crawl(const Source& source, JobCounts& counts, const CrawlProgress& progress);

 private:
  outbound::HttpClient& http_;
  ScrapingRepository& repo_;
  const Clock& clock_;
  CrawlOptions options_;
};

}  // namespace studybot::scraping
