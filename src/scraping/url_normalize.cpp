#include "scraping/url_normalize.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <vector>

#include <boost/url.hpp>

#include "core/strings.h"

namespace studybot::scraping {
namespace {

namespace urls = boost::urls;

// Servers commonly refuse request lines above 8 KiB; a longer URL is a crawler trap, not a page.
constexpr std::size_t kMaxUrlBytes = 8 * 1024;

// Query parameters that only record where a visitor came from. They are matched by exact
// (case-insensitive) name; every "utm_" parameter is matched by prefix.
constexpr std::array<std::string_view, 12> kTrackingParams = {
    "fbclid", "gclid",  "dclid",  "gbraid", "wbraid", "msclkid",
    "yclid",  "igshid", "mc_cid", "mc_eid", "_hsenc", "_hsmi",
};

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsAsciiAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

void AppendPercentEncoded(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += '%';
  out += kHex[c >> 4];
  out += kHex[c & 0x0F];
}

// The scheme of `s` if it starts with one ("scheme:"), else "". Used before parsing so that
// "javascript:..." is refused even when the rest of it would not parse.
std::string_view LeadingScheme(std::string_view s) {
  if (s.empty() || !IsAsciiAlpha(s[0])) return {};
  for (std::size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == ':') return s.substr(0, i);
    bool scheme_char =
        IsAsciiAlpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    if (!scheme_char) return {};
  }
  return {};
}

// Turns what people write into something RFC 3986 accepts, the way a browser would before
// sending it: see the header for the list. Boost.URL is strict and would refuse most real-world
// hrefs otherwise. Returns an owned string, which also keeps the Boost.URL 1.81 parsers (which may
// read past the end of a string_view) on null-terminated memory.
std::string Sanitize(std::string_view in) {
  while (!in.empty() && static_cast<unsigned char>(in.front()) <= 0x20)
    in.remove_prefix(1);
  while (!in.empty() && static_cast<unsigned char>(in.back()) <= 0x20)
    in.remove_suffix(1);

  std::string cleaned;
  cleaned.reserve(in.size());
  for (char c : in) {
    if (c == '#') break;  // the fragment is dropped anyway, and may hold anything
    if (c == '\t' || c == '\n' || c == '\r') continue;
    cleaned += c == '\\' ? '/' : c;
  }

  // '[' and ']' are legal only around an IPv6 literal in the authority; elsewhere they are encoded.
  std::size_t authority_begin = std::string::npos;
  std::size_t after_scheme = LeadingScheme(cleaned).size();
  if (after_scheme > 0) ++after_scheme;  // the ':'
  if (cleaned.compare(after_scheme, 2, "//") == 0) authority_begin = after_scheme + 2;
  std::size_t authority_end = authority_begin == std::string::npos
                                  ? std::string::npos
                                  : cleaned.find_first_of("/?", authority_begin);
  if (authority_end == std::string::npos) authority_end = cleaned.size();

  std::string out;
  out.reserve(cleaned.size() + 16);
  for (std::size_t i = 0; i < cleaned.size(); ++i) {
    auto c = static_cast<unsigned char>(cleaned[i]);
    bool in_authority =
        authority_begin != std::string::npos && i >= authority_begin && i < authority_end;
    if (c == '%') {
      bool triplet =
          i + 2 < cleaned.size() && IsHexDigit(cleaned[i + 1]) && IsHexDigit(cleaned[i + 2]);
      if (triplet) {
        out += '%';
      } else {
        out += "%25";
      }
      continue;
    }
    bool forbidden = c <= 0x20 || c >= 0x7F || c == '"' || c == '<' || c == '>' || c == '^' ||
                     c == '`' || c == '{' || c == '|' || c == '}' ||
                     (!in_authority && (c == '[' || c == ']'));
    if (forbidden) {
      AppendPercentEncoded(out, c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

bool IsTrackingParam(std::string_view key) {
  if (key.size() >= 4 && EqualsIgnoreCase(key.substr(0, 4), "utm_")) return true;
  for (auto name : kTrackingParams) {
    if (EqualsIgnoreCase(key, name)) return true;
  }
  return false;
}

std::string StripTrackingParams(std::string_view query) {
  std::string out;
  for (auto pair : Split(query, '&')) {
    if (pair.empty()) continue;
    if (IsTrackingParam(pair.substr(0, pair.find('=')))) continue;
    if (!out.empty()) out += '&';
    out += pair;
  }
  return out;
}

// Host names as DNS knows them: letters, digits, '-', '_' (seen in the wild) and non-empty labels.
// Anything else (sub-delims, leftover percent-encoding of non-ASCII) cannot be fetched.
bool ValidRegName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (auto label : Split(host, '.')) {
    if (label.empty() || label.size() > 63) return false;
    for (char c : label) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok) return false;
    }
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// RFC 3986 §6.2.2.1-2: upper-case hex in percent-encodings and decode the unreserved characters,
// which mean the same encoded or not. Reserved characters stay encoded: "%26" in a query is data,
// "&" is a separator. (Boost.URL 1.81's normalize() decodes those too, hence this function.)
std::string CanonicalPercentEncoding(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !IsHexDigit(s[i + 1]) || !IsHexDigit(s[i + 2])) {
      out += "%25";
      continue;
    }
    auto byte = static_cast<unsigned char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
    bool unreserved = IsAsciiAlpha(static_cast<char>(byte)) || (byte >= '0' && byte <= '9') ||
                      byte == '-' || byte == '.' || byte == '_' || byte == '~';
    if (unreserved) {
      out += static_cast<char>(byte);
    } else {
      AppendPercentEncoded(out, byte);
    }
    i += 2;
  }
  return out;
}

// RFC 3986 §5.2.4 for an absolute path (empty or starting with '/'). Dot segments that would climb
// above the root are dropped, as browsers do. (Boost.URL 1.81 keeps them: "/../x" stays.)
std::string RemoveDotSegments(std::string_view path) {
  std::vector<std::string_view> kept;
  auto segments = Split(path.empty() ? path : path.substr(1), '/');
  for (std::size_t i = 0; i < segments.size(); ++i) {
    std::string_view segment = segments[i];
    bool last = i + 1 == segments.size();
    if (segment == "." || segment == "..") {
      if (segment == ".." && !kept.empty()) kept.pop_back();
      if (last) kept.push_back("");  // "/a/b/.." names the directory "/a/"
      continue;
    }
    kept.push_back(segment);
  }
  std::string out;
  for (auto segment : kept) {
    out += '/';
    out += segment;
  }
  return out.empty() ? "/" : out;
}

// Applies the normalisation rules to a parsed absolute URL. The result is assembled by hand from
// the parsed parts rather than with Boost.URL's setters, whose 1.81 versions produce surprises
// ("http://example.com" + set_path("/") gives "http://example.com/./").
std::optional<std::string> Finish(const urls::url_view_base& u) {
  auto scheme = u.scheme_id();
  if (scheme != urls::scheme::http && scheme != urls::scheme::https) return std::nullopt;
  if (!u.has_authority() || u.has_userinfo()) return std::nullopt;
  // Boost.URL 1.81 parses "http://host:8o/" as port "8" and path "o/"; a path after an authority
  // must be empty or start with '/'.
  std::string_view raw_path = u.encoded_path();
  if (!raw_path.empty() && raw_path.front() != '/') return std::nullopt;

  std::string out = scheme == urls::scheme::https ? "https://" : "http://";
  switch (u.host_type()) {
    case urls::host_type::ipv4:
      out += u.encoded_host();
      break;
    case urls::host_type::ipv6:
      out += ToLower(std::string(u.encoded_host()));
      break;
    case urls::host_type::name: {
      std::string host = ToLower(CanonicalPercentEncoding(u.encoded_host()));
      if (!host.empty() && host.back() == '.') host.pop_back();
      if (!ValidRegName(host)) return std::nullopt;
      out += host;
      break;
    }
    default:  // IPvFuture literals, no host
      return std::nullopt;
  }

  std::string_view digits = u.port();
  if (!digits.empty()) {
    unsigned long port = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535) {
      return std::nullopt;
    }
    unsigned long default_port = scheme == urls::scheme::https ? 443 : 80;
    if (port != default_port) out += ":" + std::to_string(port);  // also drops leading zeros
  }

  out += RemoveDotSegments(CanonicalPercentEncoding(raw_path));

  if (u.has_query()) {
    std::string query = StripTrackingParams(CanonicalPercentEncoding(u.encoded_query()));
    if (!query.empty()) out += "?" + query;
  }

  if (out.size() > kMaxUrlBytes) return std::nullopt;
  return out;
}

}  // namespace

std::optional<std::string> NormalizeUrl(std::string_view url) {
  std::string text = Sanitize(url);
  if (text.size() > kMaxUrlBytes) return std::nullopt;
  auto parsed = urls::parse_uri(text);
  if (!parsed) return std::nullopt;
  return Finish(*parsed);
}

std::optional<std::string> ResolveLink(std::string_view base, std::string_view href) {
  std::string ref_text = Sanitize(href);
  if (ref_text.size() > kMaxUrlBytes) return std::nullopt;
  std::string scheme = ToLower(std::string(LeadingScheme(ref_text)));
  if (!scheme.empty() && scheme != "http" && scheme != "https") return std::nullopt;

  auto ref = urls::parse_uri_reference(ref_text);
  if (!ref) return std::nullopt;
  if (ref->has_scheme()) {
    return Finish(*ref);
  }

  std::string base_text = Sanitize(base);
  auto base_url = urls::parse_uri(base_text);
  if (!base_url) return std::nullopt;
  auto base_scheme = base_url->scheme_id();
  if (base_scheme != urls::scheme::http && base_scheme != urls::scheme::https) return std::nullopt;

  urls::url resolved;
  if (!urls::resolve(*base_url, *ref, resolved)) return std::nullopt;
  return Finish(resolved);
}

std::string OriginOf(std::string_view normalized_url) {
  auto normalized = NormalizeUrl(normalized_url);
  if (!normalized) return {};
  auto u = urls::parse_uri(*normalized);
  if (!u) return {};  // cannot happen: Finish produced it
  std::string origin(u->scheme());
  origin += "://";
  origin += u->encoded_host_and_port();
  return origin;
}

bool SameSite(std::string_view a, std::string_view b) {
  std::string origin_a = OriginOf(a);
  return !origin_a.empty() && origin_a == OriginOf(b);
}

}  // namespace studybot::scraping
