#include "chatbots/service.h"

#include <boost/json/serialize.hpp>

#include "core/crypto.h"
#include "core/ids.h"

namespace studybot::chatbots {
namespace {

// The default look of a new widget.
const boost::json::object& DefaultLook() {
  static const boost::json::object kLook{{"welcome_message", "Hello! How can I help you?"},
                                         {"primary_color", "#2563eb"},
                                         {"text_color", "#ffffff"},
                                         {"position", "bottom-right"}};
  return kLook;
}

Result<std::vector<std::string>> NormaliseDomains(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  std::vector<FieldError> bad;
  for (std::size_t i = 0; i < in.size(); ++i) {
    auto p = OriginPattern::Parse(in[i]);
    if (!p.ok()) {
      bad.push_back({"/allowed_domains/" + std::to_string(i), p.error().message});
      continue;
    }
    if (std::find(out.begin(), out.end(), p->text()) == out.end()) out.push_back(p->text());
  }
  if (!bad.empty()) return Error::InvalidArgument("invalid allowed domain", std::move(bad));
  return out;
}

Status Apply(const ChatbotInput& in, Chatbot& b) {
  if (in.name) b.name = *in.name;
  if (in.description) b.description = *in.description;
  if (in.status) b.status = *in.status;
  if (in.allowed_domains) {
    auto d = NormaliseDomains(*in.allowed_domains);
    if (!d.ok()) return d.error();
    b.allowed_domains = std::move(d).value();
  }
  if (in.widget) {
    for (const auto& kv : *in.widget)
      b.widget[kv.key()] = kv.value();
  }
  if (in.rate_limits) b.rate_limits = *in.rate_limits;
  if (in.knowledge) {
    auto k = ApplyKnowledgePatch(b.knowledge, *in.knowledge);
    if (!k.ok()) return k.error();
    b.knowledge = std::move(k).value();
  }
  if (in.answers) {
    auto a = ApplyAnswerPatch(b.answers, *in.answers, b.model);
    if (!a.ok()) return a.error();
    b.answers = std::move(a).value();
  }
  if (in.system_prompt) b.system_prompt = *in.system_prompt;
  return OkStatus();
}

boost::json::array Strings(const std::vector<std::string>& v) {
  boost::json::array a;
  for (const auto& s : v)
    a.emplace_back(s);
  return a;
}

boost::json::object RateLimitsJson(const Chatbot& b) {
  boost::json::object o;
  for (const auto& [scope, l] : b.rate_limits) {
    o[scope] = {{"rate", l.rate}, {"period_seconds", l.period_ms / 1000}, {"burst", l.burst}};
  }
  return o;
}

boost::json::value SecretsJson(const Chatbot& b) {
  if (!b.secrets) return nullptr;  // not loaded (lists)
  boost::json::object o;
  for (const auto& s : *b.secrets) {
    o[s.name] = {{"set", true}, {"hint", s.hint}, {"updated_at", s.updated_at}};
  }
  return o;
}

}  // namespace

boost::json::object WidgetLook(const Chatbot& b) {
  boost::json::object look = DefaultLook();
  look["title"] = b.name;
  for (const auto& kv : b.widget)
    look[kv.key()] = kv.value();
  return look;
}

boost::json::object ChatbotJson(const Chatbot& b) {
  boost::json::object o{{"id", b.id},
                        {"name", b.name},
                        {"description", b.description},
                        {"status", b.status},
                        {"allowed_domains", Strings(b.allowed_domains)},
                        {"widget", WidgetLook(b)},
                        {"rate_limits", RateLimitsJson(b)},
                        {"secrets", SecretsJson(b)},
                        {"knowledge", KnowledgeJson(b.knowledge)},
                        {"system_prompt", b.system_prompt},
                        {"model", b.model},
                        {"answers", AnswerJson(b.answers, b.model)},
                        {"created_at", b.created_at},
                        {"updated_at", b.updated_at}};
  if (b.knowledge_status) o["knowledge_status"] = *b.knowledge_status;
  return o;
}

void ChatbotService::Audit(const auth::Principal& who, const auth::ClientInfo& client,
                           const std::string& action, const std::string& id,
                           boost::json::object summary) {
  (void)audit_.Record({who.user_id, "", client.ip, client.user_agent, client.request_id},
                      {action, "chatbot", id, std::move(summary)});
}

Status ChatbotService::CheckAccess(const auth::Principal& who, const std::string& id) {
  if (who.IsSystemAdmin()) return OkStatus();
  auto member = users_.IsMember(id, who.user_id);
  if (!member.ok()) return member.error();
  if (!*member) {
    return Error::PermissionDenied("you are not an admin of this chatbot").WithSlug("forbidden");
  }
  return OkStatus();
}

Status ChatbotService::ApplySecrets(const std::string& id, const ChatbotInput& in) {
  if (!in.secrets) return OkStatus();
  for (const auto& [name, value] : *in.secrets) {
    auto st = value ? secrets_.Set(id, name, *value) : secrets_.Remove(id, name);
    if (!st.ok()) return st;
  }
  return OkStatus();
}

Status ChatbotService::SaveExtras(Chatbot& b, const ChatbotInput& in) {
  if (in.rate_limits) {
    auto rl = bots_.SetRateLimits(b.id, b.rate_limits);
    if (!rl.ok()) return rl;
  }
  auto sec = ApplySecrets(b.id, in);
  if (!sec.ok()) return sec;
  return LoadSecrets(b);
}

Status ChatbotService::LoadSecrets(Chatbot& bot) {
  auto list = secrets_.List(bot.id);
  if (!list.ok()) return list.error();
  bot.secrets = std::move(list).value();
  if (knowledge_ != nullptr) bot.knowledge_status = knowledge_->KnowledgeStatus(bot);
  return OkStatus();
}

Result<ChatbotPage> ChatbotService::List(const auth::Principal& who, int limit,
                                         const std::string& cursor) {
  // Cursors are the last id of a page we served; anything else is the client's mistake, not a
  // reason to start over from the first page.
  if (!cursor.empty() && !IsUuid(cursor)) {
    return Error::InvalidArgument("malformed cursor", {{"/cursor", "not a cursor we issued"}});
  }
  std::optional<std::string> member;
  if (!who.IsSystemAdmin()) member = who.user_id;
  auto rows = bots_.List(limit + 1, cursor, member);
  if (!rows.ok()) return rows.error();
  ChatbotPage page;
  for (auto& b : *rows) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_cursor = page.items.back().id;
      break;
    }
    page.items.push_back(std::move(b));
  }
  return page;
}

Result<Chatbot> ChatbotService::Find(const auth::Principal& who, const std::string& id) {
  auto found = bots_.FindById(id);
  if (!found.ok()) return found.error();
  if (!found->has_value()) return Error::NotFound("no such chatbot");
  auto access = CheckAccess(who, id);
  if (!access.ok()) return access.error();
  return **found;
}

Result<Chatbot> ChatbotService::Get(const auth::Principal& who, const std::string& id) {
  auto bot = Find(who, id);
  if (!bot.ok()) return bot;
  auto loaded = LoadSecrets(*bot);
  if (!loaded.ok()) return loaded.error();
  return bot;
}

Result<Chatbot> ChatbotService::Create(const auth::Principal& who, const ChatbotInput& in,
                                       const auth::ClientInfo& client) {
  if (!who.IsSystemAdmin()) {
    return Error::PermissionDenied("only system admins create chatbots").WithSlug("forbidden");
  }
  Chatbot b;
  b.id = NewUuid();
  b.model = "builtin-extractive";
  b.knowledge = KnowledgeFromJson({});  // the defaults, filled in
  auto st = Apply(in, b);
  if (!st.ok()) return st.error();
  b.created_by = who.user_id;
  b.created_at = FormatRfc3339Millis(clock_.Now());
  b.updated_at = b.created_at;
  auto ins = bots_.Insert(b);
  if (!ins.ok()) return ins.error();
  auto extras = SaveExtras(b, in);
  if (!extras.ok()) return extras.error();
  if (knowledge_ != nullptr) {
    knowledge_->KnowledgeChanged(b, std::nullopt);
    b.knowledge_status = knowledge_->KnowledgeStatus(b);
  }
  Audit(who, client, "chatbot.create", b.id, {{"name", b.name}});
  return b;
}

Result<Chatbot> ChatbotService::Update(const auth::Principal& who, const std::string& id,
                                       const ChatbotInput& in, const auth::ClientInfo& client) {
  auto current = Find(who, id);  // SaveExtras loads the secret hints
  if (!current.ok()) return current.error();
  Chatbot b = std::move(current).value();
  const KnowledgeSettings before = b.knowledge;
  auto st = Apply(in, b);
  if (!st.ok()) return st.error();
  b.updated_at = FormatRfc3339Millis(clock_.Now());
  auto up = bots_.Update(b);
  if (!up.ok()) return up.error();
  auto extras = SaveExtras(b, in);
  if (!extras.ok()) return extras.error();
  if (knowledge_ != nullptr && (in.knowledge || in.secrets)) {
    knowledge_->KnowledgeChanged(b, before);
    b.knowledge_status = knowledge_->KnowledgeStatus(b);
  }
  boost::json::array fields;
  for (const auto& [name, set] : {std::pair{"name", in.name.has_value()},
                                  std::pair{"description", in.description.has_value()},
                                  std::pair{"status", in.status.has_value()},
                                  std::pair{"allowed_domains", in.allowed_domains.has_value()},
                                  std::pair{"widget", in.widget.has_value()},
                                  std::pair{"rate_limits", in.rate_limits.has_value()},
                                  std::pair{"knowledge", in.knowledge.has_value()},
                                  std::pair{"answers", in.answers.has_value()},
                                  std::pair{"system_prompt", in.system_prompt.has_value()},
                                  std::pair{"secrets", in.secrets.has_value()}}) {
    if (set) fields.emplace_back(name);
  }
  if (events_ != nullptr) events_->Publish(id, "chatbot.updated", {{"fields", fields}});
  Audit(who, client, "chatbot.update", id, {{"fields", std::move(fields)}});
  return b;
}

Status ChatbotService::Delete(const auth::Principal& who, const std::string& id,
                              const auth::ClientInfo& client) {
  if (!who.IsSystemAdmin()) {
    return Error::PermissionDenied("only system admins delete chatbots").WithSlug("forbidden");
  }
  auto st = bots_.Delete(id);
  if (!st.ok()) return st;
  Audit(who, client, "chatbot.delete", id, {});
  return OkStatus();
}

Result<WidgetConfig> ChatbotService::PublicConfig(const std::string& id) {
  auto found = bots_.FindById(id);
  if (!found.ok()) return found.error();
  if (!found->has_value() || (*found)->status != "active") {
    return Error::NotFound("no such chatbot");
  }
  const Chatbot& b = **found;
  boost::json::object body{{"id", b.id}, {"name", b.name}, {"widget", WidgetLook(b)}};
  std::string text = boost::json::serialize(body);
  return WidgetConfig{std::move(body), "\"" + Sha256Hex(text).substr(0, 32) + "\""};
}

}  // namespace studybot::chatbots
