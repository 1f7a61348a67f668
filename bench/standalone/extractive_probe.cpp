// Answer quality of the built-in extractive answerer (ai/extractive_answerer.h) on
// bench/retrieval, without a server: each question gets as sources the top 5 passages of the
// hybrid retrieval recorded in results.json (what the pipeline would pass), and the probe reports
// how often the answer's first cited source is a relevant passage ("first cited correct"), how
// often it answers at all, and how often retrieval's own first passage is relevant (the bar to
// beat). Out-of-scope questions (visitor questions the corpus does not answer, retrieved with
// BM25 over the corpus) must get no answer.
//
//   build/extractive_probe [bench/retrieval] [--show N]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <boost/json/parse.hpp>

#include "ai/extractive_answerer.h"
#include "search/analyzer.h"
#include "search/bm25.h"

using namespace studybot;

namespace {

std::vector<boost::json::object> ReadJsonl(const std::string& path) {
  std::ifstream in(path);
  std::vector<boost::json::object> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(boost::json::parse(line).as_object());
  }
  return out;
}

std::string Str(const boost::json::value& v) {
  return std::string(v.as_string());
}

struct Passage {
  std::string title;
  std::string text;
};

// Questions a website's visitors ask that a software documentation corpus does not answer, some
// sharing words with it (order, return, password, schedule, install).
const char* const kOutOfScope[] = {
    "What are your opening hours on Sunday?",
    "How much does shipping to Canada cost?",
    "Can I return a damaged product and get a refund?",
    "Where is your office located?",
    "Do you offer student discounts on the annual plan?",
    "How do I cancel my subscription?",
    "Who won the football world cup in 2018?",
    "What is the capital of Australia?",
    "How do I bake a chocolate cake without eggs?",
    "What is the weather forecast for tomorrow in Paris?",
    "How long does it take to get a visa for Japan?",
    "Is parking available near the stadium?",
    "Can I bring my dog to the hotel?",
    "What vaccines do I need before travelling to Kenya?",
    "How do I reset the password of my bank account?",
    "When is the next train from Lyon to Marseille?",
    "How many calories are in a banana?",
    "What is the phone number of customer support?",
    "Do you deliver pizza on weekends?",
    "How do I change a flat tire on my bicycle?",
    "What is the dress code for the wedding?",
    "Which museum has the Mona Lisa?",
    "How do I apply for a job at your company?",
    "What are the tuition fees for international students?",
    "Can I pay my order with PayPal?",
    "How do I install solar panels on my roof?",
    "What time does the pharmacy close?",
    "Who is the president of France?",
    "How do I train my puppy to sit?",
    "How do I configure the wifi router in my apartment building?",
    "What documents do I need to open a bank account as a foreign student?",
    "How long should I cook pasta for the perfect texture?",
    "Which file format should I use to print my wedding photos at the shop?",
    "How can I connect my printer to the office network without a cable?",
    "What is the return policy for items bought online during the sale?",
    "Can I change the delivery address of my order after payment?",
    "How do I report a lost credit card and block payments?",
    "Quels sont les horaires d'ouverture de la piscine ?",
    "Combien coûte un billet de train pour Paris ?",
    "Comment annuler ma réservation d'hôtel ?",
};

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "bench/retrieval";
  int show = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--show" && i + 1 < argc) {
      show = std::atoi(argv[++i]);
    } else {
      dir = a;
    }
  }
  std::unordered_map<std::string, Passage> corpus;
  std::vector<std::string> ids;
  for (const auto& o : ReadJsonl(dir + "/corpus.jsonl")) {
    ids.push_back(Str(o.at("id")));
    corpus[ids.back()] = {Str(o.at("title")), Str(o.at("text"))};
  }
  auto results = boost::json::parse([&] {
                   std::ifstream in(dir + "/results.json");
                   return std::string(std::istreambuf_iterator<char>(in), {});
                 }())
                     .as_object();
  const auto& per_question = results.at("per_question").as_array();

  auto source = [&](const std::string& id, int number, double score) {
    ai::SourcePassage s;
    s.number = number;
    const Passage& p = corpus.at(id);
    s.title = p.title;
    s.text = p.text;
    s.score = score;
    return s;
  };

  ai::ExtractiveOptions options;
  // Overrides for tuning: EX_<field>=value.
  auto set = [](const char* name, auto& field) {
    if (const char* v = std::getenv(name))
      field = static_cast<std::decay_t<decltype(field)>>(std::atof(v));
  };
  set("EX_min_coverage", options.min_coverage);
  set("EX_min_passage_coverage", options.min_passage_coverage);
  set("EX_heading_share", options.heading_share);
  set("EX_weak_word_share", options.weak_word_share);
  set("EX_passage_weight", options.passage_weight);
  set("EX_bigram_bonus", options.bigram_bonus);
  set("EX_rank_prior", options.rank_prior);
  set("EX_length_penalty", options.length_penalty);
  set("EX_position_decay", options.position_decay);
  set("EX_redundancy_penalty", options.redundancy_penalty);
  set("EX_max_similarity", options.max_similarity);
  set("EX_min_relative_score", options.min_relative_score);
  set("EX_max_sentences", options.max_sentences);
  set("EX_min_passage_terms", options.min_passage_terms);
  set("EX_min_sentence_terms", options.min_sentence_terms);
  // EXTRACTIVE_DUMP=file: no thresholds, one line of the best sentence's features per question.
  std::FILE* dump = nullptr;
  if (const char* path = std::getenv("EXTRACTIVE_DUMP")) {
    dump = std::fopen(path, "w");
    options.min_coverage = 0;
    options.min_passage_coverage = 0;
  }
  auto dump_line = [&](const char* kind, const ai::ExtractiveSelection& sel, int correct) {
    if (dump == nullptr || sel.sentences.empty()) return;
    const ai::ExtractedSentence* best = &sel.sentences[0];
    for (const auto& s : sel.sentences)
      if (s.score > best->score) best = &s;
    std::fprintf(dump, "%s\t%zu\t%.3f\t%.3f\t%zu\t%zu\t%d\n", kind, sel.question_terms.size(),
                 best->coverage, best->passage_coverage, best->matched_terms,
                 best->passage_matched_terms, correct);
  };
  int total = 0, answered = 0, first_correct = 0, retrieval_top1 = 0, any_relevant_in_5 = 0;
  int shown = 0;
  for (const auto& qv : per_question) {
    const auto& q = qv.as_object();
    std::set<std::string> relevant;
    for (const auto& r : q.at("relevant").as_array())
      relevant.insert(Str(r));
    const auto& top = q.at("hybrid").as_object().at("top").as_array();
    ai::ChatRequest request;
    request.question = Str(q.at("question"));
    request.language = "en";
    bool any = false;
    for (std::size_t i = 0; i < top.size() && i < 5; ++i) {
      request.sources.push_back(source(Str(top[i]), static_cast<int>(i) + 1, 1.0 / (i + 1)));
      any = any || relevant.count(Str(top[i])) > 0;
    }
    ++total;
    any_relevant_in_5 += any;
    if (!top.empty() && relevant.count(Str(top[0]))) ++retrieval_top1;
    auto selection = ai::SelectSentences(request, options);
    if (selection.sentences.empty()) {
      if (shown < show) {
        ++shown;
        std::printf("NO ANSWER %s: %s\n", Str(q.at("id")).c_str(), request.question.c_str());
      }
      continue;
    }
    ++answered;
    std::size_t first = selection.sentences.front().source_index;
    bool ok = relevant.count(Str(top[first])) > 0;
    first_correct += ok;
    dump_line("in", selection, ok);
    if (!ok && shown < show) {
      ++shown;
      std::printf("WRONG%s %s: %s\n  cited %zu (%s), relevant in 5: %d; terms:",
                  relevant.count(Str(top[0])) ? " (LOSS: top 1 was right)" : "",
                  Str(q.at("id")).c_str(), request.question.c_str(), first + 1,
                  Str(top[first]).c_str(), any);
      for (const auto& t : selection.question_terms)
        std::printf(" %s", t.c_str());
      std::printf("\n");
      for (const auto& s : selection.sentences)
        std::printf("   [%d] %.2f cov %.2f pass %.2f: %.160s\n", s.source, s.score, s.coverage,
                    s.passage_coverage, s.text.c_str());
    }
  }
  std::printf(
      "in scope: %d questions; answered %.1f%%; first cited source relevant %.1f%% of all "
      "(%.1f%% of answered); retrieval top 1 relevant %.1f%%; a relevant one in the 5 %.1f%%\n",
      total, 100.0 * answered / total, 100.0 * first_correct / total,
      answered ? 100.0 * first_correct / answered : 0.0, 100.0 * retrieval_top1 / total,
      100.0 * any_relevant_in_5 / total);

  // Out of scope: BM25 top 5 over the corpus (title + text), as keyword retrieval would give.
  search::Analyzer analyzer(search::Language::kAuto);
  search::Bm25Index index;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const Passage& p = corpus.at(ids[i]);
    (void)index.Add(static_cast<int64_t>(i), analyzer.Terms(p.title + "\n" + p.text));
  }
  int oos = 0, oos_answered = 0;
  for (const char* question : kOutOfScope) {
    ++oos;
    ai::ChatRequest request;
    request.question = question;
    request.language = "auto";
    auto hits = index.Search(analyzer.QueryTerms(question), 5);
    for (std::size_t i = 0; i < hits.size(); ++i)
      request.sources.push_back(
          source(ids[static_cast<std::size_t>(hits[i].first)], static_cast<int>(i) + 1, 1.0));
    auto selection = ai::SelectSentences(request, options);
    dump_line("oos", selection, 0);
    if (!selection.sentences.empty()) {
      ++oos_answered;
      std::printf("OUT-OF-SCOPE ANSWERED: %s\n", question);
      for (const auto& s : selection.sentences)
        std::printf("   [%d] %.2f cov %.2f pass %.2f: %.160s\n", s.source, s.score, s.coverage,
                    s.passage_coverage, s.text.c_str());
    }
  }
  std::printf("out of scope: %d questions; answered %d\n", oos, oos_answered);
  if (dump != nullptr) std::fclose(dump);
  return 0;
}
