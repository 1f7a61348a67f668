#include "chatbots/api_key_service.h"

#include "core/crypto.h"
#include "core/ids.h"

namespace studybot::chatbots {
namespace {

constexpr std::size_t kKeyBytes = 24;     // 192 bits: a fast hash (SHA-256) is then enough
constexpr std::size_t kPrefixChars = 11;  // "pk_" + 8

Error BadKey() {
  return Error::Unauthenticated("missing or invalid API key (X-Api-Key)")
      .WithSlug("invalid_api_key");
}

}  // namespace

boost::json::object ApiKeyJson(const auth::ApiKey& k) {
  auto opt = [](const std::optional<std::string>& v) {
    return v ? boost::json::value(*v) : boost::json::value(nullptr);
  };
  return {{"id", k.id},
          {"chatbot_id", k.chatbot_id},
          {"name", k.name},
          {"kind", k.kind},
          {"prefix", k.prefix},
          {"last_used_at", opt(k.last_used_at)},
          {"expires_at", opt(k.expires_at)},
          {"revoked_at", opt(k.revoked_at)},
          {"created_at", k.created_at}};
}

Result<CreatedApiKey> ApiKeyService::Create(const auth::Principal& who,
                                            const std::string& chatbot_id, const NewApiKey& in,
                                            const auth::ClientInfo& client) {
  auto bot = chatbots_.Find(who, chatbot_id);
  if (!bot.ok()) return bot.error();
  auto now = clock_.Now();
  std::optional<std::string> expires;
  if (in.expires_at) {
    auto t = ParseRfc3339(*in.expires_at);
    if (!t || *t <= now) {
      return Error::InvalidArgument(
          "expires_at must be a future RFC 3339 UTC time",
          {{"/expires_at", "must be a future time like 2027-01-31T00:00:00Z"}});
    }
    expires = FormatRfc3339Millis(*t);
  }
  std::string plaintext = (in.kind == "secret" ? "sk_" : "pk_") + RandomToken(kKeyBytes);
  auth::ApiKey k;
  k.id = NewUuid();
  k.chatbot_id = chatbot_id;
  k.kind = in.kind;
  k.name = in.name;
  k.prefix = plaintext.substr(0, kPrefixChars);
  k.key_hash = Sha256Hex(plaintext);
  k.expires_at = expires;
  k.created_by = who.user_id;
  k.created_at = FormatRfc3339Millis(now);
  auto ins = keys_.Insert(k);
  if (!ins.ok()) return ins.error();
  (void)audit_.Record({who.user_id, "", client.ip, client.user_agent, client.request_id},
                      {"api_key.create",
                       "api_key",
                       k.id,
                       {{"chatbot_id", chatbot_id}, {"kind", k.kind}, {"prefix", k.prefix}}});
  if (events_ != nullptr) {
    events_->Publish(chatbot_id, "api_key.created",
                     {{"id", k.id}, {"kind", k.kind}, {"prefix", k.prefix}, {"name", k.name}});
  }
  return CreatedApiKey{std::move(k), std::move(plaintext)};
}

Result<std::vector<auth::ApiKey>> ApiKeyService::List(const auth::Principal& who,
                                                      const std::string& chatbot_id) {
  auto bot = chatbots_.Find(who, chatbot_id);
  if (!bot.ok()) return bot.error();
  return keys_.ListForChatbot(chatbot_id);
}

Status ApiKeyService::Revoke(const auth::Principal& who, const std::string& chatbot_id,
                             const std::string& id, const auth::ClientInfo& client) {
  auto bot = chatbots_.Find(who, chatbot_id);
  if (!bot.ok()) return bot.error();
  auto st = keys_.Revoke(chatbot_id, id, FormatRfc3339Millis(clock_.Now()));
  if (!st.ok()) return st;
  (void)audit_.Record({who.user_id, "", client.ip, client.user_agent, client.request_id},
                      {"api_key.revoke", "api_key", id, {{"chatbot_id", chatbot_id}}});
  if (events_ != nullptr) events_->Publish(chatbot_id, "api_key.revoked", {{"id", id}});
  return OkStatus();
}

Result<WidgetAccess> ApiKeyService::Authenticate(const std::string& raw_key,
                                                 const std::string& chatbot_id,
                                                 const std::string& origin,
                                                 const std::string& referer) {
  if (raw_key.size() < 20 || raw_key.size() > 128 ||
      (raw_key.compare(0, 3, "pk_") != 0 && raw_key.compare(0, 3, "sk_") != 0)) {
    return BadKey();
  }
  auto found = keys_.FindByHash(Sha256Hex(raw_key));
  if (!found.ok()) return found.error();
  if (!found->has_value()) return BadKey();
  auth::ApiKey key = **found;
  std::string now = FormatRfc3339Millis(clock_.Now());
  if (key.revoked_at) {
    return Error::Unauthenticated("this API key was revoked").WithSlug("api_key_revoked");
  }
  if (key.expires_at && *key.expires_at <= now) {
    return Error::Unauthenticated("this API key has expired").WithSlug("api_key_expired");
  }
  if (!chatbot_id.empty() && key.chatbot_id != chatbot_id) {
    return Error::PermissionDenied("this API key belongs to another chatbot")
        .WithSlug("api_key_wrong_chatbot");
  }
  auto bot = bots_.FindById(key.chatbot_id);
  if (!bot.ok()) return bot.error();
  if (!bot->has_value() || (*bot)->status != "active") {
    return Error::NotFound("no such chatbot");
  }
  WidgetAccess access{key, **bot, ""};
  if (key.kind == "publishable") {
    std::string effective = origin.empty() ? OriginOfUrl(referer) : origin;
    if (effective.empty()) {
      return Error::PermissionDenied("a publishable key needs an Origin or Referer header")
          .WithSlug("origin_required");
    }
    std::vector<OriginPattern> patterns;
    for (const auto& d : access.chatbot.allowed_domains) {
      auto p = OriginPattern::Parse(d);
      if (p.ok()) patterns.push_back(std::move(p).value());
    }
    if (!OriginAllowed(patterns, effective)) {
      return Error::PermissionDenied("origin " + effective +
                                     " is not allowed for this chatbot; add it to allowed_domains")
          .WithSlug("origin_not_allowed");
    }
    access.allowed_origin = origin;
  }
  // last_used_at is informational: written at most once a minute per key.
  auto last = key.last_used_at ? ParseRfc3339(*key.last_used_at) : std::nullopt;
  if (!last || clock_.Now() - *last > std::chrono::minutes(1)) {
    (void)keys_.TouchLastUsed(key.id, now);
  }
  return access;
}

}  // namespace studybot::chatbots
