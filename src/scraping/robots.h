// RobotsRules: what one site's robots.txt lets our crawler fetch, parsed per RFC 9309.
//
// Parsing is forgiving, as the RFC asks: unknown keys, lines without ':', rules before the first
// user-agent line and comments are ignored; keys are case-insensitive; a UTF-8 BOM and any of
// LF / CR LF / CR line ends are accepted. Only the first 500 KiB are parsed (§2.5 requires at least
// that much); a line cut by that limit is dropped whole, since a truncated "Allow: /abc" would
// allow more than the site meant.
//
// Group selection (§2.2.1): the groups whose user-agent product token equals ours
// (case-insensitively; "StudyBot/2.1" names the token "studybot") are merged; if there are none,
// the "*" groups are merged; if there are none either, everything is allowed. A group is one or
// more consecutive user-agent lines followed by its rules.
//
// Matching (§2.2.2-2.2.3): rules are compared with the path and query of the URL; '*' matches any
// run of characters and a '$' at the end anchors the pattern to the end of the path. Percent-
// encoding is normalised on both sides first (non-ASCII bytes encoded, unreserved characters
// decoded, hex upper-cased), so "/caf%C3%A9", "/café" and "/%63af%c3%a9" are the same path. The
// longest matching pattern wins; on a tie, Allow wins. Empty Allow/Disallow values match nothing.
// "/robots.txt" itself is always allowed.
//
// The caller maps the HTTP outcome of fetching /robots.txt (RFC 9309 §2.3.1):
//   2xx               -> Parse(body, token)   (after following up to five redirects)
//   4xx (incl. 404)   -> AllowAll()           (no robots.txt means no restrictions)
//   5xx, unreachable  -> DisallowAll()        (the site may be down; do not crawl it meanwhile)
// and caches the result for at most 24 hours (§2.4).
//
// Immutable after construction; safe to share between threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace studybot::scraping {

class RobotsRules {
 public:
  // The most bytes of a robots.txt that Parse reads.
  static constexpr std::size_t kMaxParsedBytes = 500 * 1024;

  // `user_agent_token` is our product token ("studybot"): letters, '_' and '-' only.
  static RobotsRules Parse(std::string_view robots_txt, std::string_view user_agent_token);
  static RobotsRules AllowAll();
  static RobotsRules DisallowAll();

  // Whether the crawler may fetch `path_and_query` ("/a/b?c=d", as in the request line; no
  // scheme, host or fragment). An empty string means "/"; a missing leading '/' is added.
  bool Allowed(std::string_view path_and_query) const;

  // The Crawl-delay of the selected groups, in seconds. Not part of RFC 9309 but widely used; the
  // caller should cap it, since a site can ask for anything. nullopt when absent or malformed.
  std::optional<double> crawl_delay_seconds() const { return crawl_delay_seconds_; }

  // Sitemap URLs, as written, in file order without duplicates. They apply to every user agent.
  const std::vector<std::string>& sitemaps() const { return sitemaps_; }

 private:
  struct Rule {
    std::string pattern;  // normalised; may contain '*' and a trailing '$'
    bool allow = false;
  };

  std::vector<Rule> rules_;
  std::optional<double> crawl_delay_seconds_;
  std::vector<std::string> sitemaps_;
};

}  // namespace studybot::scraping
