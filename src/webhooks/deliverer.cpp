#include "webhooks/deliverer.h"

#include <algorithm>

#include "webhooks/service.h"
#include "webhooks/signature.h"

namespace studybot::webhooks {
namespace {

std::chrono::milliseconds RetryDelay(std::chrono::milliseconds base, int64_t attempts) {
  constexpr auto kMax = std::chrono::hours(6);
  auto delay = base;
  for (int64_t i = 1; i < attempts && delay < kMax; ++i)
    delay *= 4;
  return std::min<std::chrono::milliseconds>(delay, kMax);
}

}  // namespace

void WebhookDeliverer::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void WebhookDeliverer::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WebhookDeliverer::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void WebhookDeliverer::Loop() {
  for (;;) {
    int sent = 0;
    try {
      sent = RunOnce();
    } catch (const std::exception& e) {
      // Claimed deliveries are retried after their lease; the server goes on.
      logger_.Error("webhook deliveries aborted", {{"error", e.what()}});
    }
    std::unique_lock lock(mu_);
    if (stop_) return;
    // A full batch means more may be due: go on at once.
    if (sent < options_.batch) {
      cv_.wait_for(lock, options_.poll_interval, [this] { return stop_ || woken_; });
    }
    woken_ = false;
    if (stop_) return;
  }
}

int WebhookDeliverer::RunOnce() {
  auto now = clock_.Now();
  // The lease outlasts one attempt, so a deliverer that dies mid-send leaves the row to another.
  auto lease = now + options_.request_timeout + std::chrono::seconds(30);
  auto due = hooks_.ClaimDue(FormatRfc3339Millis(now), FormatRfc3339Millis(lease), options_.batch);
  if (!due.ok()) {
    logger_.Warn("webhook deliveries not claimed", {{"error", due.error().message}});
    return 0;
  }
  for (auto& d : *due) {
    {
      std::lock_guard lock(mu_);
      if (stop_) break;  // the rest is retried after its lease
    }
    Attempt(d);
  }
  return static_cast<int>(due->size());
}

void WebhookDeliverer::Attempt(DueDelivery& due) {
  Delivery& d = due.delivery;
  d.attempts += 1;
  bool permanent = false;
  auto secret = box_.Open(due.secret_sealed, SecretPlace(d.webhook_id));
  if (!secret.ok()) {
    d.response_status.reset();
    d.last_error = "the signing secret cannot be opened (encryption key missing?)";
  } else {
    outbound::HttpRequest req;
    req.method = "POST";
    req.url = due.url;
    req.body = d.payload;
    req.timeout = options_.request_timeout;
    req.max_body_bytes = 64 * 1024;  // the answer is not used; do not read much of it
    req.max_redirects = 0;           // a redirect would resend a signed body elsewhere
    int64_t t =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
    req.headers = {{"Content-Type", "application/json"},
                   {"Studybot-Event", d.event},
                   {"Studybot-Delivery", d.id},
                   {"Studybot-Signature", SignatureHeader(*secret, t, d.payload)}};
    auto r = http_.Send(req);
    if (r.ok()) {
      d.response_status = r->status;
      if (r->status >= 200 && r->status < 300) {
        d.status = "succeeded";
        d.last_error.clear();
        d.delivered_at = FormatRfc3339Millis(clock_.Now());
        d.next_attempt_at = d.delivered_at;
        auto st = hooks_.SaveAttempt(d);
        if (!st.ok()) logger_.Warn("webhook outcome not saved", {{"error", st.error().message}});
        return;
      }
      d.last_error = "the receiver answered HTTP " + std::to_string(r->status);
    } else {
      d.response_status.reset();
      d.last_error = r.error().message;
      permanent = r.error().code == ErrorCode::kPermissionDenied ||
                  r.error().code == ErrorCode::kInvalidArgument;
    }
  }
  if (permanent || d.attempts >= options_.max_attempts) {
    d.status = "failed";
    logger_.Warn("webhook delivery failed", {{"delivery_id", d.id},
                                             {"webhook_id", d.webhook_id},
                                             {"event", d.event},
                                             {"attempts", d.attempts},
                                             {"error", d.last_error}});
  } else {
    d.next_attempt_at =
        FormatRfc3339Millis(clock_.Now() + RetryDelay(options_.retry_base, d.attempts));
  }
  if (d.last_error.size() > 500) d.last_error.resize(500);
  auto st = hooks_.SaveAttempt(d);
  if (!st.ok()) logger_.Warn("webhook outcome not saved", {{"error", st.error().message}});
}

}  // namespace studybot::webhooks
