// WebhookDeliverer: a background thread that sends due webhook deliveries, signed, and retries
// failures with growing delays (retry_base x 4^(attempt-1), at most six hours) until max_attempts.
// A 2xx answer is success; anything else, a timeout or a refused connection is retried; a URL
// that resolves to a refused address (private networks, see outbound/address_policy.h) fails at
// once. Several deliverers (threads or processes) may share one database: each claims its rows.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/log.h"
#include "core/secret_box.h"
#include "core/time.h"
#include "outbound/http_client.h"
#include "webhooks/repository.h"

namespace studybot::webhooks {

struct DelivererOptions {
  int max_attempts = 6;
  std::chrono::milliseconds poll_interval{2'000};
  std::chrono::milliseconds retry_base{30'000};
  std::chrono::milliseconds request_timeout{15'000};
  int batch = 16;
};

class WebhookDeliverer {
 public:
  WebhookDeliverer(WebhookRepository& hooks, const SecretBox& box, outbound::HttpClient& http,
                   const Clock& clock, Logger& logger, DelivererOptions options)
      : hooks_(hooks), box_(box), http_(http), clock_(clock), logger_(logger), options_(options) {}
  ~WebhookDeliverer() { Stop(); }

  void Start();
  // Finishes the delivery in flight, then returns.
  void Stop();
  // Looks for due deliveries now instead of at the next poll.
  void Wake();
  // Claims and sends what is due; returns how many attempts were made.
  int RunOnce();

 private:
  void Loop();
  void Attempt(DueDelivery& due);

  WebhookRepository& hooks_;
  const SecretBox& box_;
  outbound::HttpClient& http_;
  const Clock& clock_;
  Logger& logger_;
  DelivererOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace studybot::webhooks
