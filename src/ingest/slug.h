// Heading anchors as GitHub spells them, so that a chunk cut from a README or docs page links to
// the same "#fragment" a reader sees on GitHub (and in most static site generators, which copy
// GitHub's rule).
//
// GitHubSlug is a pure function (thread-safe); a SlugSet is used by one parse (not thread-safe).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

namespace studybot::ingest {

// The slug of a heading's text, as github-slugger computes it: lower-cased (ASCII, Latin, Greek
// and Cyrillic; see ToLowerChar), punctuation and symbols removed except '-' and '_', each space
// replaced by '-'. Letters of every script and digits are kept: "Déjà vu ?" gives "déjà-vu-".
std::string GitHubSlug(std::string_view heading);

// Makes slugs unique within one document as GitHub does: the second "intro" becomes "intro-1",
// the third "intro-2", skipping any already taken. An empty slug stays empty (no anchor).
class SlugSet {
 public:
  std::string Unique(std::string slug);

 private:
  std::unordered_map<std::string, int> occurrences_;
};

}  // namespace studybot::ingest
