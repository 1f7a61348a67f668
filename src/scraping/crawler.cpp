#include "scraping/crawler.h"

#include <algorithm>
#include <deque>
#include <thread>
#include <unordered_set>

#include "core/crypto.h"
#include "core/strings.h"
#include "scraping/extractor.h"
#include "scraping/robots.h"
#include "scraping/url_normalize.h"

namespace studybot::scraping {
namespace {

// Bounds the frontier so a site of millions of links cannot exhaust memory.
constexpr std::size_t kMaxFrontier = 50'000;
// The longest URL the page store keeps (scraped_content.url); longer links are not followed.
constexpr std::size_t kMaxStoredUrl = 2048;

struct Pending {
  std::string url;
  int64_t depth = 0;
};

// "/path?query" of a normalised URL, as robots.txt rules see it.
std::string PathAndQuery(const std::string& url) {
  auto scheme_end = url.find("://");
  auto slash = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

// The title of a plain-text page: its last path segment.
std::string TitleFromUrl(const std::string& url) {
  auto path = PathAndQuery(url);
  path = path.substr(0, path.find('?'));
  auto slash = path.find_last_of('/');
  std::string last = slash == std::string::npos ? path : path.substr(slash + 1);
  return last.empty() ? url : last;
}

struct Page {
  std::string url;  // normalised final URL
  std::string title;
  std::string text;
  std::vector<std::string> links;
  bool noindex = false;
  bool nofollow = false;
};

}  // namespace

Status Crawler::Crawl(const Source& source, JobCounts& counts, const CrawlProgress& progress) {
  auto start = NormalizeUrl(source.url);
  if (!start) return Error::InvalidArgument("the source URL cannot be crawled");
  const std::string origin = OriginOf(*start);

  // robots.txt first.
  outbound::HttpRequest robots_req;
  robots_req.url = origin + "/robots.txt";
  robots_req.timeout = options_.request_timeout;
  robots_req.max_body_bytes = RobotsRules::kMaxParsedBytes;
  auto robots_res = http_.Send(robots_req);
  RobotsRules robots = RobotsRules::AllowAll();
  if (!robots_res.ok()) {
    if (robots_res.error().code == ErrorCode::kPayloadTooLarge) {
      robots = RobotsRules::AllowAll();  // unreasonably large: treated as having no rules
    } else {
      Error e = std::move(robots_res).error();
      e.message = "robots.txt of " + origin + " cannot be read: " + e.message;
      return e;
    }
  } else if (robots_res->status >= 200 && robots_res->status < 300) {
    robots = RobotsRules::Parse(robots_res->body, options_.user_agent_token);
  } else if (robots_res->status >= 500) {
    return Error::Unavailable("robots.txt of " + origin + " answered HTTP " +
                              std::to_string(robots_res->status) +
                              ": the site asks crawlers to wait");
  }
  auto delay = options_.min_delay;
  if (auto asked = robots.crawl_delay_seconds()) {
    // Clamped as a double first: a site may ask for anything, 1e16 seconds included.
    double max_ms = static_cast<double>(std::max(options_.min_delay, options_.max_delay).count());
    double ms = std::clamp(*asked * 1000.0, 0.0, max_ms);
    delay = std::max(options_.min_delay, std::chrono::milliseconds(static_cast<int64_t>(ms)));
  }

  std::deque<Pending> frontier{{*start, 0}};
  std::unordered_set<std::string> seen{*start};
  // Pages stored by earlier crawls are checked again even if no link leads to them any more.
  auto known =
      repo_.ActivePageUrls(source.chatbot_id, origin + "/", static_cast<int>(source.max_pages));
  if (!known.ok()) return known.error();
  const std::unordered_set<std::string> stored_before(known->begin(), known->end());
  for (const auto& url : *known) {
    if (seen.insert(url).second) frontier.push_back({url, 1});
  }

  int64_t requests = 0;
  bool robots_refused_start = false;
  while (!frontier.empty() && requests < source.max_pages) {
    Pending next = std::move(frontier.front());
    frontier.pop_front();
    if (!robots.Allowed(PathAndQuery(next.url))) {
      counts.skipped++;
      if (next.url == *start) robots_refused_start = true;
      // Stored by an earlier crawl, now refused by the site: no longer used.
      if (stored_before.count(next.url) > 0) {
        auto st =
            repo_.DeactivatePage(source.chatbot_id, next.url, FormatRfc3339Millis(clock_.Now()));
        if (!st.ok()) return st;
      }
      continue;
    }
    if (!progress(counts)) break;
    if (requests > 0 && delay.count() > 0) std::this_thread::sleep_for(delay);
    requests++;
    counts.fetched++;

    auto stored = repo_.FindPage(source.chatbot_id, next.url);
    if (!stored.ok()) return stored.error();
    outbound::HttpRequest req;
    req.url = next.url;
    req.timeout = options_.request_timeout;
    req.max_body_bytes = options_.max_page_bytes;
    req.headers = {{"Accept", "text/html,application/xhtml+xml,text/plain;q=0.8"}};
    if (*stored && (*stored)->active) {
      if (!(*stored)->etag.empty()) req.headers.emplace_back("If-None-Match", (*stored)->etag);
      if (!(*stored)->last_modified.empty()) {
        req.headers.emplace_back("If-Modified-Since", (*stored)->last_modified);
      }
    }
    auto res = http_.Send(req);
    std::string now = FormatRfc3339Millis(clock_.Now());
    if (!res.ok()) {
      // The start URL itself refused (private address...): the source cannot be crawled.
      if (next.url == *start && res.error().code == ErrorCode::kPermissionDenied) {
        return res.error();
      }
      counts.failed++;
      continue;
    }
    if (res->status == 304 && *stored) {
      counts.unchanged++;
      auto st = repo_.TouchPage((*stored)->id, now);
      if (!st.ok()) return st;
      continue;
    }
    if (res->status == 404 || res->status == 410) {
      counts.failed++;
      if (*stored) {
        auto st = repo_.DeactivatePage(source.chatbot_id, next.url, now);
        if (!st.ok()) return st;
      }
      continue;
    }
    if (res->status < 200 || res->status >= 300) {
      counts.failed++;
      continue;
    }
    // A page stored before that is no longer one we keep (moved off the site, noindex, not
    // text any more) is deactivated.
    auto withdraw = [&]() -> Status {
      counts.skipped++;
      if (!*stored) return OkStatus();
      return repo_.DeactivatePage(source.chatbot_id, next.url, now);
    };
    auto final_url = NormalizeUrl(res->final_url.empty() ? next.url : res->final_url);
    if (!final_url || !SameSite(*start, *final_url) || final_url->size() > kMaxStoredUrl) {
      auto st = withdraw();  // redirected off the site
      if (!st.ok()) return st;
      continue;
    }
    if (*final_url != next.url && !seen.insert(*final_url).second) continue;  // done already

    Page page;
    page.url = *final_url;
    if (res->content_type == "text/html" || res->content_type == "application/xhtml+xml") {
      auto extracted = ExtractPage(res->body, page.url);
      page.title = std::move(extracted.title);
      page.text = std::move(extracted.text);
      page.links = std::move(extracted.links);
      page.noindex = extracted.noindex;
      page.nofollow = extracted.nofollow;
    } else if (res->content_type == "text/plain") {
      page.title = TitleFromUrl(page.url);
      page.text = CleanUtf8(Trim(res->body));  // any charset may come; the store wants UTF-8
    } else {
      auto st = withdraw();
      if (!st.ok()) return st;
      continue;
    }

    if (next.depth < source.max_depth && !page.nofollow) {
      for (auto& link : page.links) {
        if (frontier.size() >= kMaxFrontier) break;
        if (link.size() > kMaxStoredUrl || !SameSite(*start, link)) continue;
        if (!seen.insert(link).second) continue;
        frontier.push_back({std::move(link), next.depth + 1});
      }
    }
    if (page.noindex || page.text.empty()) {
      auto st = withdraw();
      if (!st.ok()) return st;
      continue;
    }
    std::string hash = Sha256Hex(page.text);
    auto current = page.url == next.url ? std::move(stored).value() : std::optional<StoredPage>();
    if (page.url != next.url) {
      auto found = repo_.FindPage(source.chatbot_id, page.url);
      if (!found.ok()) return found.error();
      current = std::move(found).value();
    }
    std::string etag = res->Header("etag").value_or("");
    std::string last_modified = res->Header("last-modified").value_or("");
    if (current && current->active && current->content_hash == hash) {
      counts.unchanged++;
      auto st = repo_.TouchPage(current->id, now);
      if (!st.ok()) return st;
      continue;
    }
    auto dup = repo_.DuplicateExists(source.chatbot_id, page.url, hash);
    if (!dup.ok()) return dup.error();
    if (*dup) {
      counts.skipped++;
      continue;
    }
    if (page.title.empty()) page.title = TitleFromUrl(page.url);
    auto st = repo_.UpsertPage({source.chatbot_id, page.url, CleanUtf8(page.title, 1000),
                                CleanUtf8(page.text), hash, CleanUtf8(etag, 255),
                                CleanUtf8(last_modified, 64), now});
    if (!st.ok()) {
      // One page the store refuses is one failed page; a database that is gone ends the crawl.
      if (st.error().code == ErrorCode::kUnavailable) return st;
      counts.failed++;
      continue;
    }
    counts.changed++;
  }
  if (robots_refused_start && counts.fetched == 0) {
    return Error::PermissionDenied("robots.txt of " + origin + " does not allow crawling " +
                                   *start);
  }
  return OkStatus();
}

}  // namespace studybot::scraping
