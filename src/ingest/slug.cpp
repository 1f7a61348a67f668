#include "ingest/slug.h"

#include <utility>

#include "ingest/text_clean.h"

namespace studybot::ingest {

std::string GitHubSlug(std::string_view heading) {
  std::string slug;
  slug.reserve(heading.size());
  std::size_t pos = 0;
  while (pos < heading.size()) {
    char32_t cp = NextCodePoint(heading, &pos);
    if (cp == ' ') {
      slug.push_back('-');
    } else if (cp == '-' || cp == '_') {
      slug.push_back(static_cast<char>(cp));
    } else if (!IsPunctOrSymbol(cp) && !IsSpace(cp) && cp >= 0x20) {
      AppendUtf8(ToLowerChar(cp), &slug);
    }
  }
  return slug;
}

std::string SlugSet::Unique(std::string slug) {
  if (slug.empty()) return slug;
  std::string result = slug;
  while (occurrences_.contains(result)) {
    result = slug + "-" + std::to_string(++occurrences_[slug]);
  }
  occurrences_.emplace(result, 0);
  return result;
}

}  // namespace studybot::ingest
