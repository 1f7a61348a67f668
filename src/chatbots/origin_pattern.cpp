#include "chatbots/origin_pattern.h"

#include <charconv>

#include <boost/url/parse.hpp>

#include "core/strings.h"

namespace studybot::chatbots {
namespace {

struct Parts {
  std::string scheme;
  std::string host;
  int port = 0;
  bool explicit_port = false;
};

// Parses "scheme://host[:port]" with an optional trailing "/"; host may start with "*.".
Result<Parts> Split(std::string_view text) {
  std::string t = ToLower(std::string(Trim(text)));
  if (!t.empty() && t.back() == '/') t.pop_back();
  auto sep = t.find("://");
  if (sep == std::string::npos) return Error::InvalidArgument("must look like https://example.com");
  Parts p;
  p.scheme = t.substr(0, sep);
  if (p.scheme != "http" && p.scheme != "https") {
    return Error::InvalidArgument("scheme must be http or https");
  }
  std::string rest = t.substr(sep + 3);
  if (rest.find_first_of("/?#@\\ ") != std::string::npos) {
    return Error::InvalidArgument("an origin has no path, query, fragment or user info");
  }
  auto colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find(']') == std::string::npos) {
    auto digits = rest.substr(colon + 1);
    int port = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || port < 1 || port > 65535) {
      return Error::InvalidArgument("bad port");
    }
    p.port = port;
    p.explicit_port = true;
    rest = rest.substr(0, colon);
  }
  if (!p.explicit_port) p.port = p.scheme == "https" ? 443 : 80;
  if (rest.empty()) return Error::InvalidArgument("missing host");
  p.host = rest;
  return p;
}

bool ValidHostName(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  if (h.front() == '[' && h.back() == ']') return true;  // IPv6 literal
  for (auto label : studybot::Split(h, '.')) {
    if (label.empty() || label.size() > 63) return false;
    for (char c : label) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return false;
    }
  }
  return true;
}

}  // namespace

Result<OriginPattern> OriginPattern::Parse(std::string_view text) {
  auto parts = Split(text);
  if (!parts.ok()) return parts.error();
  OriginPattern o;
  o.scheme_ = parts->scheme;
  o.port_ = parts->port;
  std::string host = parts->host;
  if (StartsWith(host, "*.")) {
    o.wildcard_ = true;
    host = host.substr(2);
    if (host.find('.') == std::string::npos) {
      return Error::InvalidArgument(
          "a wildcard needs at least two labels after it (*.example.com)");
    }
  }
  if (host.find('*') != std::string::npos) {
    return Error::InvalidArgument("'*' is only allowed as the first label (*.example.com)");
  }
  if (!ValidHostName(host)) return Error::InvalidArgument("bad host name");
  o.host_ = host;
  o.text_ = o.scheme_ + "://" + (o.wildcard_ ? "*." : "") + host;
  if (parts->explicit_port &&
      !((o.scheme_ == "https" && o.port_ == 443) || (o.scheme_ == "http" && o.port_ == 80))) {
    o.text_ += ":" + std::to_string(o.port_);
  }
  return o;
}

bool OriginPattern::Matches(std::string_view origin) const {
  auto parts = Split(origin);
  if (!parts.ok()) return false;
  if (parts->scheme != scheme_ || parts->port != port_) return false;
  if (!wildcard_) return parts->host == host_;
  const std::string& h = parts->host;
  return h.size() > host_.size() + 1 &&
         h.compare(h.size() - host_.size(), host_.size(), host_) == 0 &&
         h[h.size() - host_.size() - 1] == '.';
}

bool OriginAllowed(const std::vector<OriginPattern>& patterns, std::string_view origin) {
  for (const auto& p : patterns) {
    if (p.Matches(origin)) return true;
  }
  return false;
}

std::string OriginOfUrl(std::string_view url) {
  // A NUL-terminated copy: Boost.URL 1.81 read string_view arguments as C strings.
  std::string copy(url);
  auto u = boost::urls::parse_uri(copy);
  if (!u || !u->has_authority() || u->host().empty()) return {};
  std::string out = std::string(u->scheme()) + "://" + std::string(u->host());
  if (u->has_port()) out += ":" + std::string(u->port());
  return out;
}

}  // namespace studybot::chatbots
