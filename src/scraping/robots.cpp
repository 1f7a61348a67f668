#include "scraping/robots.h"

#include <charconv>
#include <cmath>
#include <utility>

#include "core/strings.h"

namespace studybot::scraping {
namespace {

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void AppendPercentEncoded(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += '%';
  out += kHex[c >> 4];
  out += kHex[c & 0x0F];
}

// RFC 9309 §2.2.2: compare paths with non-ASCII octets percent-encoded and encoded unreserved
// characters decoded. Upper-casing the hex makes "%c3%a9" and "%C3%A9" compare equal. Reserved
// characters stay encoded: "/a%2Fb" and "/a/b" are different paths.
std::string NormalizeForMatch(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '%' && i + 2 < s.size() && IsHexDigit(s[i + 1]) && IsHexDigit(s[i + 2])) {
      auto byte = static_cast<unsigned char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      if (IsUnreserved(byte)) {
        out += static_cast<char>(byte);
      } else {
        AppendPercentEncoded(out, byte);
      }
      i += 2;
    } else if (c <= 0x20 || c >= 0x7F) {
      AppendPercentEncoded(out, c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Whether `pattern` matches a prefix of `path` (all of it when the pattern ends in '$'). Tracks
// the set of path positions the pattern prefix can end at, so "*" costs no backtracking: the
// work is O(pattern * path) even for hostile patterns like "/*a*a*a*a*b".
bool PatternMatches(std::string_view pattern, std::string_view path) {
  bool anchored = !pattern.empty() && pattern.back() == '$';
  if (anchored) pattern.remove_suffix(1);
  std::vector<std::size_t> ends = {0};  // ascending
  std::vector<std::size_t> next;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '*') {
      while (i + 1 < pattern.size() && pattern[i + 1] == '*')
        ++i;
      std::size_t first = ends.front();
      ends.clear();
      for (std::size_t p = first; p <= path.size(); ++p)
        ends.push_back(p);
      continue;
    }
    next.clear();
    for (std::size_t p : ends) {
      if (p < path.size() && path[p] == c) next.push_back(p + 1);
    }
    if (next.empty()) return false;
    ends.swap(next);
  }
  return !anchored || ends.back() == path.size();
}

// The product token a user-agent line names: its leading run of letters, '_' and '-' (so
// "StudyBot/2.1 (+https://...)" names "studybot"), or "*". Lower-cased.
std::string ProductToken(std::string_view value) {
  if (!value.empty() && value.front() == '*') return "*";
  std::size_t n = 0;
  while (n < value.size()) {
    char c = value[n];
    bool token_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
    if (!token_char) break;
    ++n;
  }
  return ToLower(std::string(value.substr(0, n)));
}

enum class Key { kUserAgent, kAllow, kDisallow, kCrawlDelay, kSitemap, kUnknown };

// Keys are matched case-insensitively; a few spellings seen in the wild are accepted, as major
// crawlers do, because a site that writes "Dissallow" still means it.
Key ParseKey(std::string_view key) {
  auto is = [&](std::string_view name) { return EqualsIgnoreCase(key, name); };
  if (is("user-agent") || is("useragent") || is("user agent")) return Key::kUserAgent;
  if (is("allow")) return Key::kAllow;
  if (is("disallow") || is("dissallow") || is("dissalow") || is("disalow") || is("diasllow")) {
    return Key::kDisallow;
  }
  if (is("crawl-delay") || is("crawldelay")) return Key::kCrawlDelay;
  if (is("sitemap") || is("site-map")) return Key::kSitemap;
  return Key::kUnknown;
}

std::optional<double> ParseDelay(std::string_view value) {
  double seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
  if (!std::isfinite(seconds) || seconds < 0) return std::nullopt;
  return seconds;
}

struct Group {
  std::vector<std::string> agents;  // product tokens
  std::vector<std::string> allow;
  std::vector<std::string> disallow;
  std::optional<double> crawl_delay;
};

// Cuts `text` to kMaxParsedBytes, dropping the line the cut falls into.
std::string_view CapInput(std::string_view text) {
  if (text.size() <= RobotsRules::kMaxParsedBytes) return text;
  text = text.substr(0, RobotsRules::kMaxParsedBytes);
  auto last_end = text.find_last_of("\r\n");
  return last_end == std::string_view::npos ? std::string_view() : text.substr(0, last_end);
}

}  // namespace

RobotsRules RobotsRules::Parse(std::string_view robots_txt, std::string_view user_agent_token) {
  std::string_view text = CapInput(robots_txt);
  if (StartsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);

  RobotsRules out;
  std::vector<Group> groups;
  bool in_agent_lines = false;  // the previous group line was a user-agent line
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;

    line = line.substr(0, line.find('#'));
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    Key key = ParseKey(Trim(line.substr(0, colon)));
    std::string_view value = Trim(line.substr(colon + 1));

    switch (key) {
      case Key::kUserAgent:
        if (!in_agent_lines) groups.emplace_back();
        groups.back().agents.push_back(ProductToken(value));
        in_agent_lines = true;
        break;
      case Key::kAllow:
      case Key::kDisallow:
      case Key::kCrawlDelay: {
        in_agent_lines = false;
        if (groups.empty()) break;  // rules before any user-agent line belong to nobody
        Group& group = groups.back();
        if (key == Key::kCrawlDelay) {
          if (!group.crawl_delay) group.crawl_delay = ParseDelay(value);
        } else if (!value.empty()) {
          (key == Key::kAllow ? group.allow : group.disallow).emplace_back(value);
        }
        break;
      }
      case Key::kSitemap:
        // Sitemap lines are records outside the groups (RFC 9309 §2.2.4): they apply to every
        // crawler and neither start nor end a group.
        if (!value.empty()) {
          std::string url(value);
          bool seen = false;
          for (const auto& s : out.sitemaps_)
            seen = seen || s == url;
          if (!seen) out.sitemaps_.push_back(std::move(url));
        }
        break;
      case Key::kUnknown:
        break;
    }
  }

  std::string ours = ProductToken(user_agent_token);
  auto select = [&](std::string_view token) {
    bool any = false;
    for (const Group& group : groups) {
      bool matches = false;
      for (const auto& agent : group.agents)
        matches = matches || (!token.empty() && agent == token);
      if (!matches) continue;
      any = true;
      auto add = [&](const std::string& raw, bool allow) {
        std::string pattern = NormalizeForMatch(raw);
        // RFC 9309 says patterns start with '/'; "Disallow: private" can only mean "/private".
        if (pattern.front() != '/' && pattern.front() != '*') pattern.insert(0, 1, '/');
        out.rules_.push_back({std::move(pattern), allow});
      };
      for (const auto& p : group.allow)
        add(p, true);
      for (const auto& p : group.disallow)
        add(p, false);
      if (!out.crawl_delay_seconds_) out.crawl_delay_seconds_ = group.crawl_delay;
    }
    return any;
  };
  if (ours == "*" || !select(ours)) select("*");
  return out;
}

RobotsRules RobotsRules::AllowAll() {
  return RobotsRules();
}

RobotsRules RobotsRules::DisallowAll() {
  RobotsRules out;
  out.rules_.push_back({"/", false});
  return out;
}

bool RobotsRules::Allowed(std::string_view path_and_query) const {
  std::string path(path_and_query.substr(0, path_and_query.find('#')));
  if (path.empty() || path.front() != '/') path.insert(0, 1, '/');
  // §2.3.1: the robots.txt file itself is always fetchable.
  if (std::string_view(path).substr(0, path.find('?')) == "/robots.txt") return true;
  if (rules_.empty()) return true;

  std::string normalized = NormalizeForMatch(path);
  std::size_t best_length = 0;
  bool matched = false;
  bool allowed = true;
  for (const Rule& rule : rules_) {
    if (matched && rule.pattern.size() < best_length) continue;
    if (!PatternMatches(rule.pattern, normalized)) continue;
    if (!matched || rule.pattern.size() > best_length) {
      best_length = rule.pattern.size();
      allowed = rule.allow;
      matched = true;
    } else if (rule.allow) {
      allowed = true;  // §2.2.2: on equally specific rules, Allow wins
    }
  }
  return allowed;
}

}  // namespace studybot::scraping
