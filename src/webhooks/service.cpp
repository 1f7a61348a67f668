#include "webhooks/service.h"

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include "core/crypto.h"
#include "core/ids.h"
#include "core/strings.h"

namespace studybot::webhooks {
namespace {

constexpr std::string_view kSecretPrefix = "whsec_";

// http(s) URL with a host and no credentials; returns "scheme://host[:port]" (what the audit log
// keeps: paths and queries may hold tokens). Where it may point (not private addresses) is
// checked on every delivery by the outbound client, because DNS can change after this check.
Result<std::string> CheckUrl(const std::string& url) {
  std::string copy(url);  // Boost.URL 1.81 may read a string_view past its end
  auto u = boost::urls::parse_absolute_uri(copy);
  if (!u) return Error::InvalidArgument("url is not an absolute URL", {{"/url", "not a URL"}});
  std::string scheme = ToLower(std::string(u->scheme()));
  if (scheme != "http" && scheme != "https") {
    return Error::InvalidArgument("url must be http or https", {{"/url", "http or https only"}});
  }
  if (u->host().empty()) return Error::InvalidArgument("url has no host", {{"/url", "no host"}});
  if (u->has_userinfo()) {
    return Error::InvalidArgument("url must not hold credentials",
                                  {{"/url", "credentials in URLs are refused"}});
  }
  std::string origin = scheme + "://" + ToLower(std::string(u->encoded_host_and_port()));
  return origin;
}

std::string NewSecret() {
  return std::string(kSecretPrefix) + RandomToken(32);
}

std::string Hint(const std::string& secret) {
  return std::string(kSecretPrefix) + "…" + secret.substr(secret.size() - 4);
}

boost::json::array Strings(const std::vector<std::string>& v) {
  boost::json::array a;
  for (const auto& s : v)
    a.emplace_back(s);
  return a;
}

}  // namespace

const std::vector<std::string>& KnownEvents() {
  static const std::vector<std::string> kEvents = {
      "chatbot.updated",      "api_key.created",    "api_key.revoked",
      "chat.session_started", "chat.message",       "chat.feedback",
      "chat.budget_exceeded", "scraping.completed", "scraping.failed"};
  return kEvents;
}

std::string SecretPlace(const std::string& webhook_id) {
  return "webhook:" + webhook_id;
}

boost::json::object WebhookJson(const Webhook& w) {
  return {{"id", w.id},
          {"chatbot_id", w.chatbot_id},
          {"url", w.url},
          {"events", Strings(w.events)},
          {"active", w.active},
          {"secret_hint", w.secret_hint},
          {"created_at", w.created_at},
          {"updated_at", w.updated_at}};
}

boost::json::object DeliveryJson(const Delivery& d) {
  boost::json::object o{
      {"id", d.id},         {"webhook_id", d.webhook_id}, {"event", d.event},
      {"status", d.status}, {"attempts", d.attempts},     {"created_at", d.created_at}};
  o["next_attempt_at"] = d.status == "pending" ? boost::json::value(d.next_attempt_at) : nullptr;
  o["response_status"] = d.response_status ? boost::json::value(*d.response_status) : nullptr;
  o["last_error"] =
      d.last_error.empty() ? boost::json::value(nullptr) : boost::json::value(d.last_error);
  o["delivered_at"] =
      d.delivered_at.empty() ? boost::json::value(nullptr) : boost::json::value(d.delivered_at);
  return o;
}

void WebhookService::Audit(const auth::Principal& who, const auth::ClientInfo& client,
                           const std::string& action, const Webhook& hook,
                           boost::json::object summary) {
  summary["chatbot_id"] = hook.chatbot_id;
  (void)audit_.Record({who.user_id, "", client.ip, client.user_agent, client.request_id},
                      {action, "webhook", hook.id, std::move(summary)});
}

Result<Webhook> WebhookService::Load(const auth::Principal& who, const std::string& chatbot_id,
                                     const std::string& id) {
  auto bot = chatbots_.Find(who, chatbot_id);
  if (!bot.ok()) return bot.error();
  auto hook = hooks_.Find(chatbot_id, id);
  if (!hook.ok()) return hook.error();
  if (!*hook) return Error::NotFound("no such webhook");
  return std::move(**hook);
}

Result<WebhookWithSecret> WebhookService::Create(const auth::Principal& who,
                                                 const std::string& chatbot_id,
                                                 const WebhookInput& in,
                                                 const auth::ClientInfo& client) {
  auto bot = chatbots_.Find(who, chatbot_id);
  if (!bot.ok()) return bot.error();
  auto origin = CheckUrl(in.url.value_or(""));
  if (!origin.ok()) return origin.error();
  Webhook w;
  w.id = NewUuid();
  w.chatbot_id = chatbot_id;
  w.url = *in.url;
  w.events = in.events.value_or(std::vector<std::string>{"*"});
  w.active = in.active.value_or(true);
  w.created_by = who.user_id;
  w.created_at = w.updated_at = FormatRfc3339Millis(clock_.Now());
  std::string secret = NewSecret();
  w.secret_hint = Hint(secret);
  auto sealed = box_.Seal(secret, SecretPlace(w.id));
  if (!sealed.ok()) return sealed.error();
  auto st = hooks_.Insert(w, *sealed);
  if (!st.ok()) return st.error();
  Audit(who, client, "webhook.create", w, {{"url_origin", *origin}});
  return WebhookWithSecret{std::move(w), std::move(secret)};
}

Result<std::vector<Webhook>> WebhookService::List(const auth::Principal& who,
                                                  const std::string& chatbot_id) {
  auto bot = chatbots_.Find(who, chatbot_id);
  if (!bot.ok()) return bot.error();
  return hooks_.List(chatbot_id);
}

Result<Webhook> WebhookService::Get(const auth::Principal& who, const std::string& chatbot_id,
                                    const std::string& id) {
  return Load(who, chatbot_id, id);
}

Result<Webhook> WebhookService::Update(const auth::Principal& who, const std::string& chatbot_id,
                                       const std::string& id, const WebhookInput& in,
                                       const auth::ClientInfo& client) {
  auto hook = Load(who, chatbot_id, id);
  if (!hook.ok()) return hook.error();
  Webhook w = std::move(hook).value();
  boost::json::array changed;
  if (in.url) {
    auto origin = CheckUrl(*in.url);
    if (!origin.ok()) return origin.error();
    w.url = *in.url;
    changed.emplace_back("url");
  }
  if (in.events) {
    w.events = *in.events;
    changed.emplace_back("events");
  }
  if (in.active) {
    w.active = *in.active;
    changed.emplace_back("active");
  }
  w.updated_at = FormatRfc3339Millis(clock_.Now());
  auto st = hooks_.Update(w);
  if (!st.ok()) return st.error();
  Audit(who, client, "webhook.update", w, {{"fields", std::move(changed)}});
  return w;
}

Status WebhookService::Delete(const auth::Principal& who, const std::string& chatbot_id,
                              const std::string& id, const auth::ClientInfo& client) {
  auto hook = Load(who, chatbot_id, id);
  if (!hook.ok()) return hook.error();
  auto st = hooks_.Delete(chatbot_id, id);
  if (!st.ok()) return st;
  Audit(who, client, "webhook.delete", *hook, {});
  return OkStatus();
}

Result<WebhookWithSecret> WebhookService::RotateSecret(const auth::Principal& who,
                                                       const std::string& chatbot_id,
                                                       const std::string& id,
                                                       const auth::ClientInfo& client) {
  auto hook = Load(who, chatbot_id, id);
  if (!hook.ok()) return hook.error();
  Webhook w = std::move(hook).value();
  std::string secret = NewSecret();
  auto sealed = box_.Seal(secret, SecretPlace(w.id));
  if (!sealed.ok()) return sealed.error();
  w.secret_hint = Hint(secret);
  w.updated_at = FormatRfc3339Millis(clock_.Now());
  auto st = hooks_.SetSecret(w.id, *sealed, w.secret_hint, w.updated_at);
  if (!st.ok()) return st.error();
  Audit(who, client, "webhook.rotate_secret", w, {});
  return WebhookWithSecret{std::move(w), std::move(secret)};
}

Result<Delivery> WebhookService::Queue(const Webhook& hook, const std::string& event,
                                       const boost::json::object& data) {
  Delivery d;
  d.id = NewUuid();
  d.webhook_id = hook.id;
  d.event = event;
  d.created_at = d.next_attempt_at = FormatRfc3339Millis(clock_.Now());
  d.payload = boost::json::serialize(boost::json::object{{"id", d.id},
                                                         {"event", event},
                                                         {"chatbot_id", hook.chatbot_id},
                                                         {"created_at", d.created_at},
                                                         {"data", data}});
  auto st = hooks_.InsertDelivery(d);
  if (!st.ok()) return st.error();
  return d;
}

Result<Delivery> WebhookService::SendTest(const auth::Principal& who, const std::string& chatbot_id,
                                          const std::string& id) {
  auto hook = Load(who, chatbot_id, id);
  if (!hook.ok()) return hook.error();
  auto d = Queue(*hook, "webhook.test", {{"message", "This is a test delivery from Studybot."}});
  if (d.ok() && wake_) wake_();
  return d;
}

Result<std::vector<Delivery>> WebhookService::Deliveries(const auth::Principal& who,
                                                         const std::string& chatbot_id,
                                                         const std::string& id, int limit) {
  auto hook = Load(who, chatbot_id, id);
  if (!hook.ok()) return hook.error();
  return hooks_.ListDeliveries(id, limit);
}

void WebhookService::Publish(const std::string& chatbot_id, const std::string& event,
                             boost::json::object data) {
  auto hooks = hooks_.List(chatbot_id);
  if (!hooks.ok()) {
    logger_.Error("webhook event lost: cannot list webhooks",
                  {{"event", event}, {"chatbot_id", chatbot_id}, {"error", hooks.error().message}});
    return;
  }
  bool queued = false;
  for (const auto& hook : *hooks) {
    if (!hook.active || !hook.Wants(event)) continue;
    auto d = Queue(hook, event, data);
    if (!d.ok()) {
      logger_.Error("webhook event lost: cannot queue delivery",
                    {{"event", event}, {"webhook_id", hook.id}, {"error", d.error().message}});
      continue;
    }
    queued = true;
  }
  if (queued && wake_) wake_();
}

Result<int> WebhookService::RotateAll() {
  auto all = hooks_.SealedSecrets();
  if (!all.ok()) return all.error();
  int rotated = 0;
  for (const auto& [id, sealed] : *all) {
    auto resealed = box_.Reseal(sealed, SecretPlace(id));
    if (!resealed.ok()) {
      return Error::Unavailable("cannot open the secret of webhook " + id + ": " +
                                resealed.error().message);
    }
    if (!*resealed) continue;
    auto n = hooks_.ReplaceSealed(id, sealed, **resealed);
    if (!n.ok()) return n.error();
    rotated += static_cast<int>(*n);
  }
  return rotated;
}

}  // namespace studybot::webhooks
