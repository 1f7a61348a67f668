// URL normalisation for the crawler. The frontier, the visited set and the page store compare URLs
// as strings, so every way of writing the same page has to collapse to one spelling first:
//
//   HTTP://Example.COM:80/a/./b/../c?utm_source=x&id=7#top  ->  http://example.com/a/c?id=7
//
// Only http and https are crawled. The rules, in order:
//   * surrounding whitespace and control characters are trimmed, tabs and newlines inside are
//     removed and '\' becomes '/', as browsers do with hrefs typed by hand;
//   * bytes that RFC 3986 forbids (spaces, non-ASCII, '"', '<', '|', a '%' not followed by two hex
//     digits...) are percent-encoded rather than rejected, because real pages are full of them;
//   * scheme and host are lower-cased, a single trailing dot on the host is dropped;
//   * the default port (80 for http, 443 for https) and an empty port are dropped;
//   * percent-encoding is canonicalised (upper-case hex, unreserved characters decoded);
//   * dot segments are resolved and an empty path becomes "/";
//   * the fragment is dropped (it never reaches the server);
//   * the query is kept in its order, minus empty pairs and tracking parameters (utm_*, fbclid,
//     gclid and a few like them) which change the URL but not the page.
//
// Refused (nullopt): other schemes, URLs with user info (credentials have no place in a crawl
// frontier and "https://trusted.com@evil.com" is a classic spoofing trick), missing or malformed
// hosts, hosts that are not ASCII (IDNs must arrive in punycode, "xn--..."), ports outside
// 1..65535, and URLs longer than 8 KiB after normalisation.
//
// All functions are pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace studybot::scraping {

// The normalised form of the absolute http(s) URL `url`, or nullopt if it is not one we crawl.
// Idempotent: NormalizeUrl(*NormalizeUrl(u)) == NormalizeUrl(u).
std::optional<std::string> NormalizeUrl(std::string_view url);

// Resolves `href` (as found in an <a href>, <link href> or a redirect Location) against the
// absolute URL `base` per RFC 3986 §5 and returns the normalised result. nullopt for links that
// lead nowhere we crawl: javascript:, mailto:, tel:, data: and every other non-http(s) scheme, and
// anything NormalizeUrl refuses. An empty href or a bare "#fragment" resolves to `base` itself.
// If `base` is unusable, only absolute hrefs resolve.
std::optional<std::string> ResolveLink(std::string_view base, std::string_view href);

// "scheme://host[:port]" of a URL (the port only when it is not the default one), or "" if the
// URL is not one NormalizeUrl accepts. Meant for normalised URLs, but accepts any.
std::string OriginOf(std::string_view normalized_url);

// Whether two URLs share scheme, host and port (what browsers call the same origin; the crawler
// uses it to stay on a source's site). False if either URL is refused by NormalizeUrl.
bool SameSite(std::string_view a, std::string_view b);

}  // namespace studybot::scraping
