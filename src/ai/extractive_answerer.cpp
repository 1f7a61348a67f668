#include "ai/extractive_answerer.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <new>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "ingest/sentences.h"
#include "ingest/token_count.h"
#include "search/analyzer.h"

namespace studybot::ai {
namespace {

using search::Analyzer;
using search::Language;

// Words that phrase a question rather than say what it is about, beyond the analyzer's stop
// words: no sentence answers "how much are the fees" with "much". Lower-cased, as Tokenize gives
// them, for both languages (a French filler is not an English content word, nor the reverse).
const std::unordered_set<std::string_view>& QuestionFillers() {
  static const std::unordered_set<std::string_view> kQuestionFillers = {
      // English
      "much", "many", "tell", "know", "please", "want", "wanted", "need", "needs", "way", "ways",
      "explain", "possible", "anyone", "someone", "something", "anything", "thing", "things",
      "help", "question", "wondering", "wonder", "hello", "hi", "hey", "thanks", "thank", "get",
      "find", "also", "exactly", "actually", "really", "like", "kind", "sort",
      // French
      "combien", "comment", "pourquoi", "quand", "où", "quel", "quelle", "quels", "quelles",
      "lequel", "laquelle", "lesquels", "lesquelles", "savoir", "voudrais", "veux", "peux", "puis",
      "pourrais", "faut", "dire", "expliquer", "svp", "merci", "bonjour", "salut", "possible",
      "chose", "choses", "façon", "moyen", "besoin", "aimerais", "quoi"};
  return kQuestionFillers;
}

// Generic words, not stop words, that a question often holds without being about them ("make",
// "every", "first", "faire"). Weighed by IDF over a handful of sentences they can look rare, and
// a sentence that shares only them with the question would win: they keep weak_word_share of
// their weight. Compared by stem, so "making" is "make".
constexpr std::string_view kWeakEnglish[] = {
    "make",    "use",       "using",      "get",       "every",      "one",     "two",
    "first",   "new",       "old",        "way",       "work",       "want",    "need",
    "give",    "back",      "take",       "put",       "set",        "see",     "look",
    "show",    "keep",      "let",        "go",        "come",       "thing",   "time",
    "part",    "example",   "case",       "different", "another",    "various", "possible",
    "able",    "like",      "well",       "good",      "best",       "better",  "right",
    "long",    "large",     "small",      "big",       "little",     "high",    "low",
    "often",   "always",    "never",      "usually",   "still",      "instead", "rather",
    "without", "within",    "may",        "might",     "must",       "whether", "thus",
    "however", "already",   "yet",        "even",      "several",    "number",  "happen",
    "mean",    "allow",     "try",        "find",      "say",        "know",    "tell",
    "around",  "across",    "along",      "among",     "via",        "per",     "based",
    "given",   "following", "certain",    "specific",  "particular", "general", "whole",
    "full",    "real",      "actual",     "ordinary",  "usual",      "normal",  "able",
    "last",    "next",      "later",      "same",      "kind",       "sort",    "lot",
    "lots",    "anything",  "everything", "nothing",   "stuff",      "okay",    "ok",
    "happens", "instead",   "therefore",  "since",     "either",     "neither", "each"};
constexpr std::string_view kWeakFrench[] = {
    "faire",   "fait",        "utiliser", "pouvoir",   "peuvent",  "doit",     "doivent",
    "devoir",  "autres",      "premier",  "première",  "nouveau",  "nouvelle", "bien",
    "mieux",   "plusieurs",   "certains", "différent", "exemple",  "cas",      "fois",
    "manière", "toujours",    "jamais",   "souvent",   "déjà",     "ainsi",    "selon",
    "vouloir", "veut",        "sait",     "mettre",    "prendre",  "donner",   "aller",
    "venir",   "voir",        "trouver",  "dernier",   "prochain", "simple",   "normal",
    "général", "particulier", "vrai",     "réel",      "rien",     "tout",     "beaucoup"};

// The stems of the weak words of `language` (kEnglish or kFrench), built once.
const std::unordered_set<std::string>& WeakStems(Language language) {
  auto build = [](Language l, auto& words) {
    std::unordered_set<std::string> out;
    for (std::string_view w : words)
      out.insert(Analyzer::Stem(l, w));
    return out;
  };
  static const std::unordered_set<std::string> kEn = build(Language::kEnglish, kWeakEnglish);
  static const std::unordered_set<std::string> kFr = build(Language::kFrench, kWeakFrench);
  return language == Language::kFrench ? kFr : kEn;
}

struct Candidate {
  std::size_t source_index = 0;
  std::size_t position = 0;
  std::string text;                // cleaned
  std::vector<std::string> stems;  // text order, repeats kept
  std::unordered_set<std::string> stem_set;
  std::size_t words = 0;
  bool ends_with_colon = false;
  double coverage = 0;
  double passage = 0;
  std::size_t matched = 0;
  std::size_t passage_matched = 0;
  double score = 0;
  bool eligible = false;
};

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back()))
    s.remove_suffix(1);
  return s;
}

// Drops what Markdown (or a text extracted from HTML) puts around a sentence: heading hashes,
// quote marks, bullets and numbers of list items at its start, "**" emphasis anywhere ("__" is
// left alone: it is more often Python's __init__ than emphasis).
std::string CleanSentence(std::string_view s) {
  s = Trim(s);
  for (bool again = true; again && !s.empty();) {
    again = false;
    std::size_t n = 0;
    if (s.front() == '#' || s.front() == '>') {
      while (n < s.size() && (s[n] == '#' || s[n] == '>'))
        ++n;
    } else if ((s.front() == '-' || s.front() == '*' || s.front() == '+') && s.size() > 1 &&
               IsSpace(s[1])) {
      n = 1;
    } else if (s.starts_with("\xE2\x80\xA2")) {  // U+2022 bullet
      n = 3;
    } else {
      // "12. " or "3) " list numbers.
      while (n < s.size() && n < 3 && s[n] >= '0' && s[n] <= '9')
        ++n;
      if (n == 0 || n + 1 >= s.size() || (s[n] != '.' && s[n] != ')') || !IsSpace(s[n + 1])) {
        n = 0;
      } else {
        ++n;
      }
    }
    if (n > 0 && (n == s.size() || IsSpace(s[n]) || s[n - 1] != '#')) {
      s = Trim(s.substr(n));
      again = true;
    }
  }
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i + 1 < s.size() && s[i] == '*' && s[i + 1] == '*') {
      ++i;
      continue;
    }
    out.push_back(s[i]);
  }
  return std::string(Trim(out));
}

double Jaccard(const std::unordered_set<std::string>& a, const std::unordered_set<std::string>& b) {
  if (a.empty() || b.empty()) return a.empty() && b.empty() ? 1.0 : 0.0;
  const auto& small = a.size() <= b.size() ? a : b;
  const auto& large = a.size() <= b.size() ? b : a;
  std::size_t common = 0;
  for (const auto& s : small)
    common += large.count(s);
  return static_cast<double>(common) / static_cast<double>(a.size() + b.size() - common);
}

// Terminal punctuation the citation goes before: ".", "!", "?", ";", ":" and "…" (U+2026).
std::size_t FinalPunctuationStart(std::string_view s) {
  std::size_t end = s.size();
  while (end > 0) {
    char c = s[end - 1];
    if (c == '.' || c == '!' || c == '?' || c == ';' || c == ':') {
      --end;
    } else if (end >= 3 && s.substr(end - 3, 3) == "\xE2\x80\xA6") {
      end -= 3;
    } else {
      break;
    }
  }
  return end;
}

// "Opens at 8 am." + 2 -> "Opens at 8 am [2]."; "Opens at 8 am" + 2 -> "Opens at 8 am [2]".
std::string WithCitation(std::string_view sentence, int number) {
  std::size_t cut = FinalPunctuationStart(sentence);
  std::string out(Trim(sentence.substr(0, cut)));
  out += " [" + std::to_string(number) + "]";
  out.append(sentence.substr(cut));
  return out;
}

Language ResolveLanguage(const ChatRequest& request) {
  if (request.language == "en") return Language::kEnglish;
  if (request.language == "fr") return Language::kFrench;
  std::string sample = request.question;
  for (const auto& s : request.sources) {
    if (sample.size() > 8000) break;
    sample += ' ';
    sample += s.text;
  }
  return search::DetectLanguage(sample);
}

// The share (0..1) of the question terms' total weight earned, `has(term)` saying how much of
// each term's weight counts (1 = present, 0 = absent).
template <typename Has>
double Coverage(const std::vector<std::string>& terms, const std::vector<double>& weights,
                double total, Has has) {
  double got = 0;
  for (std::size_t i = 0; i < terms.size(); ++i)
    got += weights[i] * has(terms[i]);
  return total > 0 ? got / total : 0;
}

double LengthPenalty(const Candidate& c, const ExtractiveOptions& o) {
  double penalty = 0;
  if (c.words < o.short_words && o.short_words > 1) {
    penalty = o.length_penalty *
              static_cast<double>(o.short_words - std::max<std::size_t>(c.words, 1)) /
              static_cast<double>(o.short_words - 1);
  } else if (c.words > o.long_words) {
    penalty =
        std::min(o.length_penalty, o.length_penalty * static_cast<double>(c.words - o.long_words) /
                                       static_cast<double>(std::max<std::size_t>(o.long_words, 1)));
  }
  if (c.ends_with_colon) penalty += o.length_penalty / 2;
  return penalty;
}

}  // namespace

ExtractiveSelection SelectSentences(const ChatRequest& request, const ExtractiveOptions& options) {
  ExtractiveSelection out;
  if (request.sources.empty() || options.max_sentences <= 0) return out;
  const Language language = ResolveLanguage(request);
  const Analyzer analyzer(language);

  // 2. Question terms, once each, in question order.
  std::vector<std::string>& terms = out.question_terms;
  {
    std::unordered_set<std::string> seen;
    for (auto& w : analyzer.Analyze(request.question)) {
      if (QuestionFillers().count(w.word) > 0) continue;
      if (seen.insert(w.stem).second) terms.push_back(std::move(w.stem));
    }
  }
  if (terms.empty()) return out;

  // 3. Candidate sentences, and each source's context (headings) and whole-passage stems.
  std::vector<Candidate> candidates;
  std::vector<std::unordered_set<std::string>> headings(request.sources.size());
  std::vector<std::unordered_set<std::string>> passages(request.sources.size());
  for (std::size_t s = 0; s < request.sources.size(); ++s) {
    const SourcePassage& source = request.sources[s];
    std::string context = source.title;
    for (const auto& h : source.heading_path) {
      context += " \n";
      context += h;
    }
    for (auto& t : analyzer.Terms(context))
      headings[s].insert(std::move(t));
    passages[s] = headings[s];
    std::size_t position = 0;
    for (std::string_view raw : ingest::SplitSentences(source.text)) {
      if (raw.size() > options.max_sentence_bytes) {
        ++position;
        continue;
      }
      Candidate c;
      c.text = CleanSentence(raw);
      c.words = analyzer.Words(c.text).size();
      if (c.words == 0) continue;  // punctuation, a lone bullet: not a sentence of its own
      c.source_index = s;
      c.position = position++;
      c.stems = analyzer.Terms(c.text);
      c.stem_set.insert(c.stems.begin(), c.stems.end());
      c.ends_with_colon = c.text.back() == ':';
      passages[s].insert(c.stem_set.begin(), c.stem_set.end());
      candidates.push_back(std::move(c));
    }
  }
  if (candidates.empty()) return out;

  // 4. IDF weights over the candidate sentences.
  const double n = static_cast<double>(candidates.size());
  std::vector<double> weights(terms.size());
  std::vector<bool> strong(terms.size(), false);  // not a weak word
  double total = 0;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    double df = 0;
    for (const auto& c : candidates)
      df += c.stem_set.count(terms[i]) > 0 ? 1 : 0;
    weights[i] = std::log(1.0 + (n - df + 0.5) / (df + 0.5));
    if (WeakStems(language).count(terms[i]) > 0) {
      weights[i] *= options.weak_word_share;
    } else {
      strong[i] = true;
    }
    total += weights[i];
  }

  // 5. Scores.
  std::vector<double> passage_coverage(request.sources.size());
  std::vector<std::size_t> passage_matched(request.sources.size());
  const auto strong_count =
      static_cast<std::size_t>(std::count(strong.begin(), strong.end(), true));
  for (std::size_t s = 0; s < request.sources.size(); ++s) {
    for (std::size_t i = 0; i < terms.size(); ++i) {
      if (passages[s].count(terms[i]) > 0 && (strong[i] || strong_count == 0)) {
        ++passage_matched[s];
      }
    }
    passage_coverage[s] = Coverage(terms, weights, total, [&](const std::string& t) {
      return passages[s].count(t) > 0 ? 1.0 : 0.0;
    });
  }
  // A passage must hold min_passage_terms distinct question terms (generic words aside), or all
  // of them when the question has fewer.
  const std::size_t required_terms =
      std::min(options.min_passage_terms, strong_count > 0 ? strong_count : terms.size());
  for (auto& c : candidates) {
    const auto& heading = headings[c.source_index];
    std::size_t strong_matched = 0;
    double got = 0;
    for (std::size_t i = 0; i < terms.size(); ++i) {
      double share = c.stem_set.count(terms[i]) > 0 ? 1.0
                     : heading.count(terms[i]) > 0  ? options.heading_share
                                                    : 0.0;
      if (share == 0) continue;
      got += share * weights[i];
      ++c.matched;
      strong_matched += strong[i] ? 1 : 0;
    }
    c.coverage = total > 0 ? got / total : 0;
    c.passage = passage_coverage[c.source_index];
    c.passage_matched = passage_matched[c.source_index];
    c.eligible = c.matched > 0 &&
                 strong_matched >= std::min(options.min_sentence_terms, strong_count) &&
                 c.coverage >= options.min_coverage && c.passage >= options.min_passage_coverage &&
                 c.passage_matched >= required_terms;
    if (!c.eligible) continue;
    double pairs = 0;
    double found = 0;
    for (std::size_t i = 0; i + 1 < terms.size(); ++i) {
      pairs += 1;
      for (std::size_t j = 0; j + 1 < c.stems.size(); ++j) {
        if (c.stems[j] == terms[i] && c.stems[j + 1] == terms[i + 1]) {
          found += 1;
          break;
        }
      }
    }
    c.score = c.coverage + options.passage_weight * c.passage +
              (pairs > 0 ? options.bigram_bonus * found / pairs : 0.0) +
              options.rank_prior / static_cast<double>(c.source_index + 1) -
              LengthPenalty(c, options) -
              options.position_decay * static_cast<double>(std::min<std::size_t>(c.position, 5));
  }

  // 6. Greedy MMR within the sentence count and the token budget.
  const bool budgeted = request.max_tokens > 0;
  const std::size_t budget = budgeted ? static_cast<std::size_t>(request.max_tokens) : 0;
  std::size_t spent = 0;
  std::vector<std::size_t> chosen;
  std::vector<bool> done(candidates.size(), false);
  for (std::size_t i = 0; i < candidates.size(); ++i)
    done[i] = !candidates[i].eligible;
  while (static_cast<int>(chosen.size()) < options.max_sentences) {
    double best = 0;
    std::size_t pick = candidates.size();
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      if (done[i]) continue;
      double similarity = 0;
      for (std::size_t k : chosen)
        similarity = std::max(similarity, Jaccard(candidates[i].stem_set, candidates[k].stem_set));
      if (similarity > options.max_similarity ||
          (!chosen.empty() &&
           candidates[i].score < options.min_relative_score * candidates[chosen[0]].score)) {
        done[i] = true;
        continue;
      }
      double mmr = candidates[i].score - options.redundancy_penalty * similarity;
      if (pick == candidates.size() || mmr > best) {
        best = mmr;
        pick = i;
      }
    }
    if (pick == candidates.size()) break;
    done[pick] = true;
    // The citation and the separating space cost about 4 tokens.
    std::size_t cost = ingest::CountTokens(candidates[pick].text) + 4;
    if (budgeted && spent + cost > budget) {
      if (!chosen.empty()) continue;  // a shorter sentence may still fit
      std::size_t room = budget > 5 ? budget - 5 : 1;
      candidates[pick].text =
          std::string(ingest::PrefixWithinTokens(candidates[pick].text, room)) + "\xE2\x80\xA6";
      cost = budget;
    }
    spent += cost;
    chosen.push_back(pick);
  }
  if (chosen.empty()) return out;

  // 7. Groups by source, led by the group of the best sentence; text order within a group.
  std::unordered_map<std::size_t, std::size_t> group_rank;  // source index -> order of its group
  for (std::size_t k = 0; k < chosen.size(); ++k)
    group_rank.emplace(candidates[chosen[k]].source_index, group_rank.size());
  const Candidate& first = candidates[chosen[0]];
  out.best_coverage = first.coverage;
  out.best_passage_coverage = first.passage;
  out.best_score = first.score;
  std::sort(chosen.begin(), chosen.end(), [&](std::size_t a, std::size_t b) {
    const Candidate& x = candidates[a];
    const Candidate& y = candidates[b];
    if (x.source_index != y.source_index) {
      return group_rank[x.source_index] < group_rank[y.source_index];
    }
    return x.position < y.position;
  });
  for (std::size_t i : chosen) {
    Candidate& c = candidates[i];
    out.sentences.push_back({request.sources[c.source_index].number, c.source_index, c.position,
                             std::move(c.text), c.score, c.coverage, c.passage, c.matched,
                             c.passage_matched});
  }
  return out;
}

std::vector<std::string> AnswerPieces(const ExtractiveSelection& selection) {
  std::vector<std::string> pieces;
  const auto& s = selection.sentences;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool last_of_group = i + 1 == s.size() || s[i + 1].source_index != s[i].source_index;
    std::string piece = i == 0 ? "" : " ";
    piece += last_of_group ? WithCitation(s[i].text, s[i].source) : s[i].text;
    pieces.push_back(std::move(piece));
  }
  return pieces;
}

void ExtractiveAnswerer::Start(ChatRequest request, std::shared_ptr<ChatSink> sink,
                               std::shared_ptr<studybot::Cancellation> cancel) {
  if (sink == nullptr) return;
  bool completed = false;
  auto complete = [&](Result<ChatCompletion> result) {
    completed = true;
    sink->OnComplete(std::move(result));
  };
  auto cancelled = [&] { return cancel != nullptr && cancel->cancelled(); };
  try {
    if (cancelled()) return complete(Error::Cancelled("the extractive answer was cancelled"));
    ChatCompletion done;
    done.model = name();
    done.finish_reason = "stop";
    done.usage.estimated = true;
    std::size_t prompt = ingest::CountTokens(request.question);
    for (const auto& s : request.sources)
      prompt += ingest::CountTokens(s.text);
    done.usage.prompt_tokens = static_cast<int64_t>(prompt);

    ExtractiveSelection selection = SelectSentences(request, options_);
    if (cancelled()) return complete(Error::Cancelled("the extractive answer was cancelled"));
    if (selection.sentences.empty()) {
      done.no_answer = true;
      return complete(std::move(done));
    }
    for (auto& piece : AnswerPieces(selection)) {
      if (cancelled()) return complete(Error::Cancelled("the extractive answer was cancelled"));
      sink->OnDelta(piece);
      done.text += piece;
    }
    done.usage.completion_tokens = static_cast<int64_t>(ingest::CountTokens(done.text));
    complete(std::move(done));
  } catch (const std::exception& e) {
    // Only std::bad_alloc is expected here; a sink that throws is its own bug, but the caller
    // still gets its one OnComplete.
    if (!completed) {
      completed = true;
      try {
        sink->OnComplete(Error::Internal(std::string("extractive answerer: ") + e.what()));
      } catch (...) {
      }
    }
  } catch (...) {
    if (!completed) {
      try {
        sink->OnComplete(Error::Internal("extractive answerer: unknown exception"));
      } catch (...) {
      }
    }
  }
}

}  // namespace studybot::ai
