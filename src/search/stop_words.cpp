#include "search/stop_words.h"

#include <iterator>
#include <unordered_set>

namespace studybot::search {
namespace {

// Sorted by bytes, for the reader. Contractions use the ASCII apostrophe, as Tokenize normalises
// it.
constexpr std::string_view kEnglish[] = {
    "a",       "about",   "above",      "after",    "again",     "against",  "all",     "am",
    "an",      "and",     "any",        "are",      "aren't",    "as",       "at",      "be",
    "because", "been",    "before",     "being",    "below",     "between",  "both",    "but",
    "by",      "can",     "can't",      "cannot",   "could",     "couldn't", "did",     "didn't",
    "do",      "does",    "doesn't",    "doing",    "don't",     "down",     "during",  "each",
    "few",     "for",     "from",       "further",  "had",       "hadn't",   "has",     "hasn't",
    "have",    "haven't", "having",     "he",       "he's",      "her",      "here",    "hers",
    "herself", "him",     "himself",    "his",      "how",       "i",        "i'd",     "i'll",
    "i'm",     "i've",    "if",         "in",       "into",      "is",       "isn't",   "it",
    "it's",    "its",     "itself",     "just",     "let's",     "me",       "more",    "most",
    "my",      "myself",  "no",         "nor",      "not",       "now",      "of",      "off",
    "on",      "once",    "only",       "or",       "other",     "our",      "ours",    "ourselves",
    "out",     "over",    "own",        "same",     "she",       "she's",    "should",  "shouldn't",
    "so",      "some",    "such",       "than",     "that",      "that's",   "the",     "their",
    "theirs",  "them",    "themselves", "then",     "there",     "there's",  "these",   "they",
    "they'd",  "they'll", "they're",    "they've",  "this",      "those",    "through", "to",
    "too",     "under",   "until",      "up",       "very",      "was",      "wasn't",  "we",
    "we'd",    "we'll",   "we're",      "we've",    "were",      "weren't",  "what",    "what's",
    "when",    "where",   "which",      "while",    "who",       "whom",     "why",     "will",
    "with",    "won't",   "would",      "wouldn't", "you",       "you'd",    "you'll",  "you're",
    "you've",  "your",    "yours",      "yourself", "yourselves"};

// Includes the common forms of "être" and "avoir", and the bare elided letters (a text written
// "l ' école" still tokenizes "l").
constexpr std::string_view kFrench[] = {
    "a",      "ai",      "aie",    "aient",    "aies",     "ait",     "alors",   "as",
    "au",     "aucun",   "aura",   "aurai",    "auraient", "aurais",  "aurait",  "aurez",
    "auriez", "aurons",  "auront", "aussi",    "autre",    "aux",     "avaient", "avais",
    "avait",  "avec",    "avez",   "aviez",    "avions",   "avoir",   "avons",   "ayant",
    "ayez",   "ayons",   "c",      "car",      "ce",       "ceci",    "cela",    "celle",
    "celles", "celui",   "ces",    "cet",      "cette",    "ceux",    "chaque",  "chez",
    "comme",  "d",       "dans",   "de",       "des",      "donc",    "dont",    "du",
    "elle",   "elles",   "en",     "encore",   "entre",    "es",      "est",     "et",
    "eu",     "eue",     "eues",   "eurent",   "eus",      "eut",     "eux",     "il",
    "ils",    "j",       "je",     "l",        "la",       "le",      "les",     "leur",
    "leurs",  "lui",     "m",      "ma",       "mais",     "me",      "mes",     "moi",
    "mon",    "même",    "n",      "ne",       "ni",       "nos",     "notre",   "nous",
    "on",     "ont",     "ou",     "où",       "par",      "parce",   "pas",     "peu",
    "peut",   "plus",    "pour",   "pourquoi", "qu",       "quand",   "que",     "quel",
    "quelle", "quelles", "quels",  "qui",      "quoi",     "s",       "sa",      "sans",
    "se",     "sera",    "serai",  "seraient", "serais",   "serait",  "serez",   "seriez",
    "serons", "seront",  "ses",    "si",       "soi",      "soient",  "sois",    "soit",
    "sommes", "son",     "sont",   "sous",     "soyez",    "soyons",  "suis",    "sur",
    "t",      "ta",      "te",     "tes",      "toi",      "ton",     "tous",    "tout",
    "toute",  "toutes",  "très",   "tu",       "un",       "une",     "vers",    "vos",
    "votre",  "vous",    "y",      "à",        "ça",       "étaient", "étais",   "était",
    "étant",  "étiez",   "étions", "été",      "êtes",     "être"};

using WordSet = std::unordered_set<std::string_view>;

}  // namespace

// Hash sets built on first use (thread-safe, immutable afterwards): every token of every chunk is
// looked up two or three times, and a binary search over the tables cost a sixth of analysis.
bool IsEnglishStopWord(std::string_view word) {
  static const WordSet words(std::begin(kEnglish), std::end(kEnglish));
  return words.contains(word);
}

bool IsFrenchStopWord(std::string_view word) {
  static const WordSet words(std::begin(kFrench), std::end(kFrench));
  return words.contains(word);
}

}  // namespace studybot::search
