// OriginPattern: one entry of a chatbot's allowed domains. Either an exact origin
// ("https://www.example.com", "http://localhost:3000") or a wildcard on the leftmost label
// ("https://*.example.com", which matches sub-domains at any depth but not example.com itself).
// Scheme and port always count: https://example.com does not allow http://example.com or
// https://example.com:8443. Immutable; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace studybot::chatbots {

class OriginPattern {
 public:
  // kInvalidArgument with a reason for anything else (paths, queries, user info, bare hosts,
  // wildcards elsewhere than the first label, public-suffix-wide wildcards like https://*.com).
  static Result<OriginPattern> Parse(std::string_view text);

  // `origin` as a browser sends it ("https://shop.example.com"); an unparsable origin never
  // matches.
  bool Matches(std::string_view origin) const;

  // The normalised text: lower case, default port dropped.
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::string scheme_;
  std::string host_;  // for wildcards: the suffix after "*." ("example.com")
  int port_ = 0;      // effective port (443/80 when absent)
  bool wildcard_ = false;
};

// Whether `origin` matches any of `patterns`.
bool OriginAllowed(const std::vector<OriginPattern>& patterns, std::string_view origin);

// The origin ("scheme://host[:port]") of a URL such as a Referer; "" when it has none.
std::string OriginOfUrl(std::string_view url);

}  // namespace studybot::chatbots
