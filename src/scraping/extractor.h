// ExtractPage: turns one fetched HTML page into what the crawler and the indexer need: the readable
// main text, a few metadata fields, the robots directives and the outgoing links.
//
// Main text. The page is parsed as a browser would (gumbo, HTML5), then rendered as plain text:
//   * everything that is not content is dropped: script, style, noscript, template, svg, math,
//     iframe, nav, header, footer, aside, form, button, select and other controls, embedded media,
//     and elements with role=navigation/banner/contentinfo/complementary/search, aria-hidden=true,
//     the `hidden` attribute or an inline style of display:none / visibility:hidden;
//     a <form> holding <main>, <article>, <h1> or <h2> is kept as a container, because some
//     frameworks (ASP.NET Web Forms) wrap the whole page in one;
//   * the root is <main> (or role=main) when present, else the dominant top-level <article>, else
//     <body>; should that root hold no text, the whole <body> is used, and should the hiding rules
//     leave nothing at all (a headless render can mark the whole app aria-hidden behind a cookie
//     dialog), the text is rendered again without them;
//   * block elements (p, div, li, h1-h6, tr, section, pre, ...) and <br> become line breaks,
//     paragraphs and headings are set apart by one blank line, never more; table cells are
//     separated by a space; whitespace inside text collapses to one space (a no-break space counts
//     as whitespace) except inside <pre>; entities are decoded; the result is trimmed.
//
// Metadata. title: <title>, else the first <h1>. description: <meta name=description>, else
// <meta property=og:description>. language: <html lang> as written. canonical_url: <link
// rel=canonical>, resolved and normalised. noindex / nofollow: <meta name=robots> ("none" means
// both); the X-Robots-Tag header is the fetcher's business.
//
// Links: every <a href> and <area href>, resolved against <base href> (else the page URL) with
// ResolveLink, so only http(s) links survive, normalised, without rel=nofollow ones, deduplicated,
// in document order. Links are returned even when `nofollow` is set: the caller decides (it must
// not follow them, but may still want to know them).
//
// Hostile input. Any byte sequence is accepted and never crashes: malformed markup is repaired as
// browsers do, invalid UTF-8 becomes U+FFFD, the tree is walked with explicit stacks (no
// recursion), and nesting deeper than kMaxNestingDepth is flattened before parsing, because gumbo's
// tree construction is quadratic in depth (100k nested <div>s take minutes). Input beyond
// kMaxHtmlBytes is ignored.
//
// Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace studybot::scraping {

struct ExtractedPage {
  std::string title;                         // whitespace-collapsed; "" if none
  std::string text;                          // the readable main text, see above
  std::string description;                   // meta description; "" if none
  std::string language;                      // <html lang>, e.g. "en-GB"; "" if none
  std::optional<std::string> canonical_url;  // absolute and normalised
  std::vector<std::string> links;            // absolute and normalised, see above
  bool noindex = false;                      // the page asks not to be indexed
  bool nofollow = false;                     // the page asks that its links not be followed
};

// Bytes of HTML that ExtractPage reads; the fetcher should cap bodies well below this anyway.
inline constexpr std::size_t kMaxHtmlBytes = 8 * 1024 * 1024;

// Elements nested deeper than this are unwrapped (their text kept). Chromium's parser uses the
// same limit (512), so no page that renders sensibly needs more.
inline constexpr std::size_t kMaxNestingDepth = 512;

// `page_url` is the final URL of the page (after redirects); relative links and the canonical URL
// resolve against it. If it is not a valid http(s) URL, only absolute links are returned.
ExtractedPage ExtractPage(std::string_view html, std::string_view page_url);

}  // namespace studybot::scraping
