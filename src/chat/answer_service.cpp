#include "chat/answer_service.h"

#include <algorithm>
#include <unordered_set>

#include <boost/json/serialize.hpp>

#include "chat/citations.h"
#include "chat/followup.h"
#include "chat/prompt.h"
#include "core/ids.h"
#include "core/strings.h"
#include "search/analyzer.h"

namespace studybot::chat {
namespace {

namespace json = boost::json;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

double Relevance(const ingest::SearchResult& hit) {
  if (hit.dense_score > 0) return std::clamp(hit.dense_score, 0.0, 1.0);
  double bm25 = std::max(0.0, hit.keyword_score);
  return bm25 / (bm25 + 5.0);
}

std::string VisitorLanguage(const chatbots::Chatbot& bot, std::string_view question) {
  if (bot.knowledge.language == "en" || bot.knowledge.language == "fr") {
    return bot.knowledge.language;
  }
  return search::DetectLanguage(question) == search::Language::kFrench ? "fr" : "en";
}

// The share of the question's content stems that the answer contains.
double QuestionCoverage(std::string_view question, std::string_view answer) {
  search::Analyzer analyzer(search::Language::kAuto);
  auto q = analyzer.Analyze(question);
  if (q.empty()) return 0;
  std::unordered_set<std::string> a;
  for (const auto& w : analyzer.Analyze(answer))
    a.insert(w.stem);
  std::unordered_set<std::string> seen;
  int total = 0;
  int found = 0;
  for (const auto& w : q) {
    if (!seen.insert(w.stem).second) continue;
    ++total;
    if (a.count(w.stem) > 0) ++found;
  }
  return total == 0 ? 0 : static_cast<double>(found) / total;
}

// Midnight UTC at the start of `now`'s day, and the seconds until the next one.
std::pair<std::string, long> UtcDay(SystemTime now) {
  auto days = std::chrono::floor<std::chrono::days>(now);
  auto next = days + std::chrono::days(1);
  long wait = static_cast<long>(std::chrono::ceil<std::chrono::seconds>(next - now).count());
  return {FormatRfc3339Millis(days), std::max(1L, wait)};
}

json::array SourcesJson(const std::vector<AnswerSource>& sources) {
  json::array a;
  for (const auto& s : sources)
    a.push_back(AnswerSourceJson(s));
  return a;
}

}  // namespace

json::object AnswerSourceJson(const AnswerSource& s) {
  return {{"number", s.number}, {"document_id", s.document_id}, {"title", s.title},
          {"url", s.url},       {"snippet", s.snippet},         {"score", s.score}};
}

json::object AnswerRecordJson(const AnswerRecord& r) {
  json::object o{{"message_id", r.message_id},
                 {"session_id", r.session_id},
                 {"response", r.response},
                 {"sources", SourcesJson(r.sources)},
                 {"confidence", r.confidence},
                 {"response_time_ms", r.response_time_ms},
                 {"fallback", r.fallback},
                 {"degraded", r.degraded},
                 {"model", r.model},
                 {"usage",
                  {{"prompt_tokens", r.usage.prompt_tokens},
                   {"completion_tokens", r.usage.completion_tokens},
                   {"estimated", r.usage.estimated}}},
                 {"created_at", r.created_at}};
  if (r.for_admin && !r.model_error.empty()) o["model_error"] = r.model_error;
  return o;
}

Status AnswerService::CheckDailyCaps(const chatbots::Chatbot& bot) {
  const auto& a = bot.answers;
  if (a.daily_message_cap <= 0 && a.daily_token_budget <= 0) return OkStatus();
  auto [since, wait] = UtcDay(clock_.Now());
  auto usage = messages_.UsageSince(bot.id, since);
  if (!usage.ok()) return usage.error();
  std::string what;
  if (a.daily_message_cap > 0 && usage->messages >= a.daily_message_cap) {
    what = "daily message cap (" + std::to_string(a.daily_message_cap) + ")";
  } else if (a.daily_token_budget > 0 && usage->tokens >= a.daily_token_budget) {
    what = "daily token budget (" + std::to_string(a.daily_token_budget) + ")";
  }
  if (what.empty()) return OkStatus();
  bool warn = false;
  {
    std::lock_guard lock(mu_);
    auto& day = cap_warned_[bot.id];
    warn = day != since;
    day = since;
  }
  if (warn && events_ != nullptr) {
    events_->Publish(
        bot.id, "chat.budget_exceeded",
        {{"limit", what},
         {"messages_today", usage->messages},
         {"tokens_today", usage->tokens},
         {"resets_at", FormatRfc3339Millis(std::chrono::floor<std::chrono::days>(clock_.Now()) +
                                           std::chrono::days(1))}});
  }
  return Error::RateLimited(
             "this chatbot has reached its " + what + "; it answers again after midnight UTC", wait)
      .WithSlug("daily_cap_reached");
}

Result<PendingAnswer> AnswerService::Prepare(const AskInput& in) {
  auto p = Begin(in);
  if (!p.ok()) return p.error();
  auto st = Retrieve(*p);
  if (!st.ok()) return st.error();
  return p;
}

Result<PendingAnswer> AnswerService::Begin(const AskInput& in) {
  PendingAnswer p;
  p.started = std::chrono::steady_clock::now();
  p.in = in;
  std::string question(Trim(in.message));
  if (question.empty()) {
    return Error::InvalidArgument("the message is empty", {{"/message", "must not be blank"}});
  }
  if (question.size() > kMaxMessageBytes) {
    return Error::InvalidArgument(
        "the message is too long",
        {{"/message", "at most " + std::to_string(kMaxMessageBytes) + " bytes"}});
  }
  p.in.message = CleanUtf8(question, kMaxMessageBytes);
  if (in.widget) {
    auto caps = CheckDailyCaps(in.bot);
    if (!caps.ok()) return caps.error();
  }

  std::vector<ChatMessage>& history = p.history;
  if (in.session_id.empty()) {
    SessionStart start{in.bot.id, "", in.ip, in.user_agent};
    auto s = sessions_.Start(start);
    if (!s.ok()) return s.error();
    p.session_id = s->id;
    p.session_started = true;
  } else {
    auto s = session_rows_.Find(in.session_id);
    if (!s.ok()) return s.error();
    if (!*s || (*s)->chatbot_id != in.bot.id) return Error::NotFound("no such chat session");
    p.session_id = in.session_id;
    int turns = std::max(0, in.bot.answers.memory_turns);
    // Two messages per exchange; the earlier questions feed the standalone rewrite too.
    auto h = session_rows_.Messages(p.session_id, std::max(2, turns * 2));
    if (!h.ok()) return h.error();
    history = std::move(h).value();
  }
  p.question_id = NewUuid();
  p.answer_id = NewUuid();
  p.asked_at = FormatRfc3339Millis(clock_.Now());
  p.language = VisitorLanguage(in.bot, p.in.message);

  std::vector<std::string> earlier;
  for (const auto& m : history) {
    if (m.type == "user") earlier.push_back(m.content);
  }
  p.standalone = StandaloneQuestion(p.in.message, earlier);
  auto model = models_.For(in.bot);
  if (model.ok()) {
    p.model = std::move(model).value();
  } else {
    p.model = std::shared_ptr<ai::ChatModel>(std::shared_ptr<ai::ChatModel>(), &Builtin());
    p.model_error = model.error().message;
  }
  return p;
}

std::optional<ai::ChatRequest> AnswerService::RewriteRequest(const PendingAnswer& p) {
  if (p.model.get() == &Builtin() || !LooksLikeFollowUp(p.in.message)) return std::nullopt;
  ai::ChatRequest r;
  std::string visitor = p.language == "fr" ? "French" : "English";
  r.messages.push_back(
      {"system",
       "Rewrite the visitor's last question as one standalone question that can be understood "
       "without the conversation, keeping its meaning and its language (" +
           visitor + "). Reply with the question only."});
  bool earlier = false;
  for (const auto& m : p.history) {
    if (m.fallback && m.type == "bot") continue;
    earlier = earlier || m.type == "user";
    // The answers only give context: their first 600 bytes are plenty.
    std::string role = m.type == "user" ? "user" : "assistant";
    r.messages.push_back({role, m.type == "user" ? m.content : CleanUtf8(m.content, 600)});
  }
  if (!earlier) return std::nullopt;
  r.messages.push_back({"user", "Last question: " + p.in.message});
  r.question = p.in.message;
  r.language = p.language;
  r.temperature = 0;
  r.max_tokens = 96;
  if (p.in.bot.answers.provider != "builtin") r.model = p.in.bot.model;
  return r;
}

void AnswerService::UseRewrite(PendingAnswer& p, std::string_view text) {
  std::string q(Trim(text));
  // A model may wrap it in quotes or a label; anything long or odd keeps the heuristic's.
  if (q.rfind("Question:", 0) == 0) q = std::string(Trim(q.substr(9)));
  if (q.size() >= 2 && q.front() == '"' && q.back() == '"') q = q.substr(1, q.size() - 2);
  if (q.empty() || q.size() > 600 || q.find('\n') != std::string::npos || SaysNoAnswer(q)) {
    return;
  }
  p.standalone = CleanUtf8(q, 600);
  p.rewritten_by_model = true;
}

Status AnswerService::Retrieve(PendingAnswer& p) {
  const AskInput& in = p.in;
  const std::vector<ChatMessage>& history = p.history;
  ingest::SearchInput search;
  search.query = p.standalone;
  auto found = search_.SearchChatbot(in.bot, search);
  if (!found.ok()) return found.error();
  p.sources.clear();
  p.retrieval_mode = std::string(found->mode == search::SearchMode::kKeyword ? "keyword"
                                 : found->mode == search::SearchMode::kDense ? "dense"
                                                                             : "hybrid");
  std::vector<ai::SourcePassage> passages;
  for (const auto& hit : found->results) {
    ai::SourcePassage s;
    s.number = static_cast<int>(passages.size()) + 1;
    s.title = hit.title;
    s.url = hit.url;
    s.heading_path = hit.heading_path;
    s.text = hit.text;
    s.score = Relevance(hit);
    passages.push_back(std::move(s));
    p.sources.push_back({0, hit.document_id, hit.title, hit.url, hit.snippet, Relevance(hit)});
  }
  p.fallback = passages.empty();

  PromptInput& prompt = p.prompt;
  prompt.system_prompt = in.bot.system_prompt;
  prompt.language = p.language;
  int memory = std::max(0, in.bot.answers.memory_turns) * 2;
  for (std::size_t i = history.size() > static_cast<std::size_t>(memory)
                           ? history.size() - static_cast<std::size_t>(memory)
                           : 0;
       i < history.size(); ++i) {
    const auto& m = history[i];
    if (m.fallback && m.type == "bot") continue;  // "I don't know" teaches the model nothing
    prompt.memory.push_back({m.type == "user" ? "user" : "assistant", m.content});
  }
  prompt.sources = std::move(passages);
  prompt.question = p.in.message;
  prompt.answer_tokens = static_cast<std::size_t>(std::max(16, in.bot.answers.max_answer_tokens));
  prompt.context_window = in.bot.answers.context_window > 0
                              ? static_cast<std::size_t>(in.bot.answers.context_window)
                              : ContextWindowOf(in.bot.model, 8192);

  p.request.question = p.standalone;
  p.request.language = p.language;
  p.request.max_tokens = in.bot.answers.max_answer_tokens;
  p.request.temperature = in.bot.answers.temperature;
  if (in.bot.answers.provider != "builtin") p.request.model = in.bot.model;
  auto built = BuildPrompt(prompt);
  if (!built.ok()) return built.error();
  p.sources.resize(built->sources.size());
  for (std::size_t i = 0; i < p.sources.size(); ++i)
    p.sources[i].number = built->sources[i].number;
  p.request.messages = std::move(built->messages);
  p.request.sources = std::move(built->sources);
  return OkStatus();
}

std::optional<PendingAnswer> AnswerService::Shrink(const PendingAnswer& pending) const {
  PendingAnswer p = pending;
  std::size_t window = p.prompt.context_window / 2;
  if (window <= p.prompt.answer_tokens + 256) return std::nullopt;
  p.prompt.context_window = window;
  auto built = BuildPrompt(p.prompt);
  if (!built.ok()) return std::nullopt;
  p.sources.resize(built->sources.size());
  p.request.messages = std::move(built->messages);
  p.request.sources = std::move(built->sources);
  return p;
}

std::string AnswerService::FallbackText(const PendingAnswer& p) const {
  const auto& own = p.in.bot.answers.fallback_message;
  return own.empty() ? chatbots::DefaultFallback(p.language) : own;
}

AnalyticsEvent AnswerService::SentEvent(const PendingAnswer& p) const {
  return {NewUuid(),
          "message_sent",
          p.in.user_id,
          p.asked_at,
          {{"message_id", p.question_id},
           {"length", p.in.message.size()},
           {"rewritten", p.standalone != p.in.message},
           {"rewritten_by", p.rewritten_by_model ? "model" : "heuristic"},
           {"source", p.in.widget ? "widget" : "admin"}}};
}

Result<AnswerRecord> AnswerService::Finish(const PendingAnswer& p, const Generation& g) {
  AnswerRecord r;
  r.message_id = p.answer_id;
  r.question_id = p.question_id;
  r.session_id = p.session_id;
  r.degraded = g.degraded;
  r.model_error = g.model_error;
  r.for_admin = !p.in.widget;
  std::string error;
  std::string text;
  if (g.result.ok()) {
    r.model = g.result->model;
    r.usage = g.result->usage;
    text = g.result->no_answer ? std::string() : g.result->text;
  } else {
    // A model that failed after it had started writing: what it wrote is the answer.
    error = g.result.error().message;
    text = g.streamed;
    r.model = p.model->name();
  }
  r.fallback = p.fallback || SaysNoAnswer(text);
  std::vector<int> cited;
  if (r.fallback) {
    r.response = FallbackText(p);
  } else {
    auto mapped = MapCitations(text, static_cast<int>(p.sources.size()));
    r.response = std::move(mapped.text);
    cited = std::move(mapped.cited);
  }
  for (int n : cited)
    r.sources.push_back(p.sources[static_cast<std::size_t>(n - 1)]);
  for (const auto& s : p.sources) {
    if (std::find(cited.begin(), cited.end(), s.number) == cited.end()) r.uncited.push_back(s);
  }
  if (!r.fallback) {
    double best = 0;
    for (const auto& s : r.sources)
      best = std::max(best, s.score);
    r.confidence = 0.4 * best + 0.4 * QuestionCoverage(p.in.message, r.response) +
                   0.2 * CitationCoverage(r.response);
    r.confidence = std::clamp(r.confidence, 0.0, 1.0);
  }
  if (p.fallback) r.model = "";  // nothing was asked of a model
  auto now = clock_.Now();
  r.created_at = FormatRfc3339Millis(now);
  if (r.created_at <= p.asked_at) {
    // The answer sorts after its question even within one millisecond.
    r.created_at = FormatRfc3339Millis(*ParseRfc3339(p.asked_at) + milliseconds(1));
  }
  r.response_time_ms =
      duration_cast<milliseconds>(std::chrono::steady_clock::now() - p.started).count();

  SavedExchange x;
  x.chatbot_id = p.in.bot.id;
  x.question = ChatMessage{};
  x.question.id = p.question_id;
  x.question.session_id = p.session_id;
  x.question.type = "user";
  x.question.content = p.in.message;
  x.question.created_at = p.asked_at;
  x.sent = SentEvent(p);
  ChatMessage a;
  a.id = r.message_id;
  a.session_id = p.session_id;
  a.type = "bot";
  a.content = r.response;
  a.created_at = r.created_at;
  a.response_time_ms = r.response_time_ms;
  a.sources = json::serialize(SourcesJson(r.sources));
  a.confidence = r.confidence;
  a.model = r.model;
  if (!p.fallback) {
    a.prompt_tokens = r.usage.prompt_tokens;
    a.completion_tokens = r.usage.completion_tokens;
  }
  a.fallback = r.fallback;
  a.degraded = r.degraded;
  json::object meta{{"uncited_sources", SourcesJson(r.uncited)},
                    {"standalone_question", p.standalone},
                    {"retrieval_mode", p.retrieval_mode},
                    {"tokens_estimated", r.usage.estimated}};
  if (!error.empty()) meta["error"] = error;
  if (!g.model_error.empty()) meta["model_error"] = g.model_error;
  if (g.result.ok()) meta["finish_reason"] = g.result->finish_reason;
  a.metadata = json::serialize(meta);
  x.answer = a;
  double top = p.sources.empty() ? 0.0 : p.sources.front().score;
  x.received = AnalyticsEvent{NewUuid(),
                              "message_received",
                              p.in.user_id,
                              r.created_at,
                              {{"message_id", r.message_id},
                               {"question_id", r.question_id},
                               {"response_time_ms", r.response_time_ms},
                               {"confidence", r.confidence},
                               {"fallback", r.fallback},
                               {"degraded", r.degraded},
                               {"model", r.model},
                               {"prompt_tokens", a.prompt_tokens.value_or(0)},
                               {"completion_tokens", a.completion_tokens.value_or(0)},
                               {"sources", static_cast<int64_t>(r.sources.size())},
                               {"top_score", top}}};
  auto saved = messages_.SaveExchange(x);
  if (!saved.ok()) return saved.error();
  if (events_ != nullptr) {
    events_->Publish(p.in.bot.id, "chat.message",
                     {{"session_id", r.session_id},
                      {"question_id", r.question_id},
                      {"message_id", r.message_id},
                      {"question", p.in.message},
                      {"response", r.response},
                      {"fallback", r.fallback},
                      {"degraded", r.degraded},
                      {"confidence", r.confidence},
                      {"response_time_ms", r.response_time_ms},
                      {"created_at", r.created_at}});
  }
  return r;
}

Status AnswerService::SaveUnanswered(const PendingAnswer& p) {
  SavedExchange x;
  x.chatbot_id = p.in.bot.id;
  x.question.id = p.question_id;
  x.question.session_id = p.session_id;
  x.question.type = "user";
  x.question.content = p.in.message;
  x.question.created_at = p.asked_at;
  x.sent = SentEvent(p);
  return messages_.SaveExchange(x);
}

}  // namespace studybot::chat
