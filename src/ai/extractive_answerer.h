// ExtractiveAnswerer: the built-in answerer, the product's offline default: no LLM, no weights.
// It quotes the sentences of the retrieved sources that best answer the question, each run of
// sentences from one source followed by that source's citation, and gives no answer
// (ChatCompletion::no_answer) when no sentence passes its threshold, so that the pipeline says
// the chatbot's fallback message instead of quoting something unrelated.
//
// Algorithm (SelectSentences; the constants are ExtractiveOptions' fields):
//   1. Language: request.language "en" / "fr", otherwise detected on the question and the
//      sources (search::DetectLanguage). One search::Analyzer of that language analyses the
//      question and every sentence, so their stems meet.
//   2. Question terms: the stems of the question's content words, once each. Stop words go, and
//      so do the words that only phrase a question ("how much", "tell me", "combien", "puis-je":
//      see kQuestionFillers in the .cpp), since no sentence answers with them.
//   3. Candidates: each source's text cut by ingest::SplitSentences, stripped of Markdown noise
//      (heading hashes, list bullets, quote marks, emphasis); sentences longer than
//      max_sentence_bytes (tables, run-on text) or without a letter or digit are left out.
//   4. Weights: each question term weighs its smoothed IDF over the candidate sentences,
//      ln(1 + (N - df + 0.5) / (df + 0.5)), so a rare word of the question counts more than a
//      common one, and a word no source has weighs the most: a question about something absent
//      from the sources cannot reach the threshold. Generic words that are not stop words
//      ("make", "every", "first", "faire": kWeak* in the .cpp) keep weak_word_share of it, since
//      over a handful of sentences they can look rare.
//   5. Per sentence:
//        coverage  = weight of the question terms the sentence holds, a term found only in its
//                    source's title or heading path counting heading_share of its weight ("It
//                    costs 50 euros." under "Admission fees" answers "how much are the
//                    admission fees"), over the weight of all question terms (0..1);
//        passage   = the same over the whole source (its text, title and headings): how well
//                    the passage the sentence comes from covers the question;
//        score     = coverage + passage_weight x passage
//                    + bigram_bonus x (share of the question's adjacent term pairs the sentence
//                      has adjacent, in order)
//                    + rank_prior / (rank + 1)      (rank 0 = the first source)
//                    - a length penalty (under short_words words: headings, "Yes."; over
//                      long_words words: run-on text; a sentence ending in ':' introduces what
//                      it does not hold)
//                    - position_decay x its index within its source (capped), so that of equal
//                      sentences the first under a heading wins.
//      A sentence is eligible when coverage >= min_coverage, passage >= min_passage_coverage,
//      it holds (with its headings) min_sentence_terms distinct non-generic question terms and
//      its source min_passage_terms (or all of them when the question has fewer). The term
//      counts are what keeps out-of-scope questions out: a short question about something else
//      shares one word with the sources by chance ("cancel my subscription" meets "cancel the
//      call") and reaches a high coverage with it, seldom three words in one passage.
//      Retrieval ranks with the whole corpus (and dense vectors) behind it, this lexical score
//      sees five passages: the rank prior is large on purpose, a later source must match the
//      question clearly better to lead the answer.
//   6. Selection: greedy maximal marginal relevance, up to max_sentences: each step takes the
//      eligible sentence of best score - redundancy_penalty x (largest stem Jaccard similarity
//      to a sentence already taken). A sentence over max_similarity to one taken (a near
//      duplicate) is never taken, nor one whose score is under min_relative_score x the best
//      sentence's score, nor one that does not fit the token budget (request.max_tokens; the
//      best sentence alone over it is cut to fit, ending in "…").
//   7. Order: the chosen sentences are grouped by source and kept in text order within a group;
//      the groups follow in the order of their best sentence's score, so the answer leads with
//      the sentence that answers best and its source is the first one cited. (Source order would
//      make the first citation whichever retrieved passage came first, even when only a weaker
//      supporting sentence came from it.)
//
// Output: sentences separated by one space; the last sentence of each group carries the group's
// citation " [n]" before its final punctuation: "The library opens at 8 am [2]." (a sentence
// without final punctuation gets it at the end). One delta per sentence, the separating space at
// the start of every delta but the first. chat::MapCitations reads these markers.
//
// Thread-safety: an ExtractiveAnswerer is immutable and shared by all conversations; Start may be
// called from any thread at once. Start runs synchronously: it has called the sink's OnComplete
// before it returns (a few milliseconds for five chunks), so call it off the I/O threads if
// sources are large. SelectSentences and AnswerPieces are pure functions.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "ai/chat_model.h"
#include "core/cancellation.h"

namespace studybot::ai {

struct ExtractiveOptions {
  // Most sentences an answer quotes.
  int max_sentences = 3;
  // Least coverage of the question (0..1, IDF-weighted, see above) by an eligible sentence with
  // its headings.
  double min_coverage = 0.15;
  // Least coverage of the question by the whole source of an eligible sentence.
  double min_passage_coverage = 0.3;
  // Least number of distinct question terms, generic words aside, the source of an eligible
  // sentence holds (all of them when the question has fewer). What keeps out-of-scope questions
  // out: they share a word or two with the sources by chance ("cancel my subscription" meets
  // "cancel the call"), seldom three.
  std::size_t min_passage_terms = 3;
  // Least number of distinct question terms, generic words aside, an eligible sentence holds
  // with its headings (all of them when the question has fewer).
  std::size_t min_sentence_terms = 2;
  // The share of its IDF weight a generic word keeps ("make", "every", "faire": see kWeak* in
  // the .cpp).
  double weak_word_share = 0.3;
  // The share of a term's weight earned when it is only in the source's title or headings.
  double heading_share = 0.6;
  // Weight of the passage's coverage in a sentence's score.
  double passage_weight = 0.5;
  // Bonus for having all of the question's adjacent term pairs ("admission fee") in order.
  double bigram_bonus = 0.15;
  // Prior for the first retrieved source; the source of rank r (0-based) gets rank_prior/(r+1).
  double rank_prior = 0.4;
  // Sentences with fewer words than this are penalised (length_penalty at one word, less and
  // less up to short_words), and so are those over long_words (up to length_penalty).
  std::size_t short_words = 4;
  std::size_t long_words = 60;
  double length_penalty = 0.2;
  // Score lost per sentence before this one in its source (up to 5 sentences).
  double position_decay = 0.01;
  // MMR: score lost per unit of stem Jaccard similarity to the closest sentence already chosen.
  double redundancy_penalty = 0.5;
  // Above this Jaccard similarity to a chosen sentence, a sentence is a duplicate: never taken.
  double max_similarity = 0.6;
  // A sentence beyond the first is taken only if its score is at least this share of the
  // first's: an answer is not padded with weak sentences.
  double min_relative_score = 0.7;
  // Sentences longer than this (in bytes) are not quoted.
  std::size_t max_sentence_bytes = 1200;
};

struct ExtractedSentence {
  int source = 0;                         // SourcePassage::number, what the citation says
  std::size_t source_index = 0;           // index in ChatRequest::sources (its retrieval rank)
  std::size_t position = 0;               // index of the sentence among its source's sentences
  std::string text;                       // cleaned of Markdown noise; cut to the budget if needed
  double score = 0;                       // see the top comment
  double coverage = 0;                    // the sentence's coverage of the question, 0..1
  double passage_coverage = 0;            // its source's coverage of the question, 0..1
  std::size_t matched_terms = 0;          // distinct question terms in it or its headings
  std::size_t passage_matched_terms = 0;  // distinct question terms in its source
};

struct ExtractiveSelection {
  // The sentences to quote, in answer order (see 7. above); empty when none is eligible.
  std::vector<ExtractedSentence> sentences;
  // For the answer's confidence: the best sentence's coverage, passage coverage and score (0
  // when nothing was chosen).
  double best_coverage = 0;
  double best_passage_coverage = 0;
  double best_score = 0;
  // The question terms the scores were computed from (stems), for diagnostics.
  std::vector<std::string> question_terms;
};

// Picks what ExtractiveAnswerer quotes. Never throws but for std::bad_alloc.
ExtractiveSelection SelectSentences(const ChatRequest& request, const ExtractiveOptions& options);

// The answer text of `selection`, as ExtractiveAnswerer streams it: one piece per sentence, the
// citations placed as the top comment says. Their concatenation is the answer.
std::vector<std::string> AnswerPieces(const ExtractiveSelection& selection);

class ExtractiveAnswerer final : public ChatModel {
 public:
  explicit ExtractiveAnswerer(ExtractiveOptions options = {}) : options_(options) {}

  std::string name() const override { return "extractive"; }

  // Answers before returning (see the top comment). Completes with kCancelled, without a
  // further delta, if `cancel` (may be null) is set before or while it streams; with
  // no_answer = true and no delta when SelectSentences chooses nothing; with kInternal if
  // memory runs out. Never throws.
  void Start(ChatRequest request, std::shared_ptr<ChatSink> sink,
             std::shared_ptr<studybot::Cancellation> cancel) override;

 private:
  const ExtractiveOptions options_;
};

}  // namespace studybot::ai
