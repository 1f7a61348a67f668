#include "ops/metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace studybot::ops {
namespace {

// Escapes a label value for the exposition format.
std::string Label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double v = 0;
      in >> v;
      return v;
    }
    std::string rest;
    std::getline(in, rest);
  }
  return 0;
}

}  // namespace

ProcessStats ReadProcessStats() {
  ProcessStats s;
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  // The command name may contain spaces: fields start after the last ')'.
  auto close = line.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(line.substr(close + 2));
    std::string f;
    std::vector<std::string> v;
    while (fields >> f)
      v.push_back(f);
    // v[0] is field 3 (state); utime=14, stime=15, num_threads=20, starttime=22, vsize=23, rss=24.
    auto at = [&](int field) -> double {
      std::size_t i = static_cast<std::size_t>(field - 3);
      return i < v.size() ? std::stod(v[i]) : 0;
    };
    double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    s.cpu_seconds = (at(14) + at(15)) / ticks;
    s.threads = static_cast<uint64_t>(at(20));
    s.start_time_seconds = BootTimeSeconds() + at(22) / ticks;
    s.virtual_bytes = static_cast<uint64_t>(at(23));
    s.resident_bytes = static_cast<uint64_t>(at(24) * page);
  }
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') ++s.open_fds;
    }
    closedir(d);
    if (s.open_fds > 0) --s.open_fds;  // the directory stream itself
  }
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) s.max_fds = rl.rlim_cur;
  return s;
}

Metrics::Metrics() : started_(std::chrono::system_clock::now()) {}

void Metrics::OnRequestStart() {
  in_flight_.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::OnRequestEnd(http::Method method, std::string_view route, unsigned status,
                           std::chrono::nanoseconds duration, std::size_t response_bytes) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  double seconds = std::chrono::duration<double>(duration).count();
  std::size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket])
    ++bucket;
  auto verb = http::bhttp::to_string(method);
  std::string_view m = method == http::Method::unknown ? std::string_view("unknown")
                                                       : std::string_view(verb.data(), verb.size());
  std::lock_guard lock(mu_);
  auto it = routes_.find(route);
  if (it == routes_.end()) it = routes_.emplace(std::string(route), RouteStats{}).first;
  auto& r = it->second;
  if (bucket < kBuckets.size()) ++r.buckets[bucket];
  ++r.count;
  r.sum_seconds += seconds;
  r.response_bytes += response_bytes;
  ++r.requests[{std::string(m), status}];
}

std::string Metrics::Render() const {
  std::string out;
  out.reserve(8192);
  auto append = [&out](std::string_view s) { out.append(s); };

  append("# HELP studybot_http_requests_total HTTP requests answered.\n");
  append("# TYPE studybot_http_requests_total counter\n");
  std::map<std::string, RouteStats> snapshot;
  {
    std::lock_guard lock(mu_);
    snapshot.insert(routes_.begin(), routes_.end());
  }
  for (const auto& [route, r] : snapshot) {
    for (const auto& [key, n] : r.requests) {
      append(fmt::format(
          "studybot_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}\n",
          key.first, Label(route), key.second, n));
    }
  }
  append("# HELP studybot_http_request_duration_seconds Time from parsed request to response.\n");
  append("# TYPE studybot_http_request_duration_seconds histogram\n");
  for (const auto& [route, r] : snapshot) {
    uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += r.buckets[i];
      append(fmt::format(
          "studybot_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
          Label(route), kBuckets[i], cumulative));
    }
    append(fmt::format(
        "studybot_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n",
        Label(route), r.count));
    append(fmt::format("studybot_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n",
                       Label(route), r.sum_seconds));
    append(fmt::format("studybot_http_request_duration_seconds_count{{route=\"{}\"}} {}\n",
                       Label(route), r.count));
  }
  append("# HELP studybot_http_response_bytes_total Response body bytes sent.\n");
  append("# TYPE studybot_http_response_bytes_total counter\n");
  for (const auto& [route, r] : snapshot) {
    append(fmt::format("studybot_http_response_bytes_total{{route=\"{}\"}} {}\n", Label(route),
                       r.response_bytes));
  }
  append("# HELP studybot_http_requests_in_flight Requests being handled now.\n");
  append("# TYPE studybot_http_requests_in_flight gauge\n");
  // This scrape is itself in flight.
  append(fmt::format("studybot_http_requests_in_flight {}\n",
                     in_flight_.load(std::memory_order_relaxed)));

  auto p = ReadProcessStats();
  // One sample with its HELP and TYPE lines.
  auto single = [&append](std::string_view name, std::string_view type, std::string_view help,
                          const std::string& value) {
    append(fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value));
  };
  single("process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.",
         fmt::format("{}", p.cpu_seconds));
  single("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
         std::to_string(p.resident_bytes));
  single("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
         std::to_string(p.virtual_bytes));
  single("process_open_fds", "gauge", "Open file descriptors.", std::to_string(p.open_fds));
  single("process_max_fds", "gauge", "Limit on open file descriptors.", std::to_string(p.max_fds));
  single("process_threads", "gauge", "Threads in this process.", std::to_string(p.threads));
  single("process_start_time_seconds", "gauge", "Start time of the process since the epoch.",
         fmt::format("{:.2f}", p.start_time_seconds));
  append("# HELP studybot_build_info Build information.\n");
  append("# TYPE studybot_build_info gauge\n");
  append(fmt::format("studybot_build_info{{version=\"{}\",compiler=\"{}\"}} 1\n", STUDYBOT_VERSION,
                     Label(__VERSION__)));
  return out;
}

}  // namespace studybot::ops
