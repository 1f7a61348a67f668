#include "core/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <boost/json/serialize.hpp>

#include <cmath>
#include <iterator>

#include <fmt/format.h>

#include "core/time.h"

namespace studybot {
namespace {

spdlog::level::level_enum ToSpd(LogLevel l) {
  switch (l) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

const char* LevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kOff:
      return "off";
  }
  return "info";
}

// Appends formatted lines to a buffer; writes it to a file descriptor when it passes kHighWater or
// on flush. Thread-safe through base_sink's mutex.
class BufferedFdSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  BufferedFdSink(int fd, bool owns_fd) : fd_(fd), owns_fd_(owns_fd) { buffer_.reserve(kHighWater); }
  ~BufferedFdSink() override {
    std::lock_guard lock(mutex_);
    WriteOut();
    if (owns_fd_) ::close(fd_);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    buffer_.append(msg.payload.data(), msg.payload.size());
    buffer_ += '\n';
    if (buffer_.size() >= kHighWater) WriteOut();
  }
  void flush_() override { WriteOut(); }

 private:
  static constexpr std::size_t kHighWater = 64 * 1024;

  // REQUIRES: mutex_ held
  void WriteOut() {
    std::size_t done = 0;
    while (done < buffer_.size()) {
      ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // nowhere to log to: drop rather than block the server
      done += static_cast<std::size_t>(n);
    }
    buffer_.clear();
  }

  int fd_;
  bool owns_fd_;
  std::string buffer_;
};

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      // Copy a well-formed UTF-8 sequence; replace anything else with U+FFFD.
      std::size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
      bool ok = len > 0 && i + len <= s.size();
      for (std::size_t k = 1; ok && k < len; ++k) {
        ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
      }
      if (ok) {
        out.append(s.substr(i, len));
        i += len - 1;
      } else {
        out += "\\ufffd";
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

LogLevel ParseLogLevel(std::string_view t) {
  if (t == "trace") return LogLevel::kTrace;
  if (t == "debug") return LogLevel::kDebug;
  if (t == "warn") return LogLevel::kWarn;
  if (t == "error") return LogLevel::kError;
  if (t == "off") return LogLevel::kOff;
  return LogLevel::kInfo;
}

Logger::Logger(const Options& options) : level_(options.level) {
  int fd;
  bool owns = false;
  if (options.sink == "stdout") {
    fd = STDOUT_FILENO;
  } else if (options.sink == "stderr") {
    fd = STDERR_FILENO;
  } else {
    fd = ::open(options.sink.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot open log file " + options.sink);
    owns = true;
  }
  auto sink = std::make_shared<BufferedFdSink>(fd, owns);
  sink->set_pattern("%v");
  logger_ = std::make_shared<spdlog::logger>("studybot", std::move(sink));
  logger_->set_level(ToSpd(options.level));
  logger_->flush_on(spdlog::level::warn);
  flusher_ = std::thread([this, interval = options.flush_interval] {
    std::unique_lock lock(flusher_mu_);
    while (!stopping_) {
      flusher_cv_.wait_for(lock, interval, [this] { return stopping_; });
      logger_->flush();
    }
  });
}

Logger::~Logger() {
  {
    std::lock_guard lock(flusher_mu_);
    stopping_ = true;
  }
  flusher_cv_.notify_all();
  flusher_.join();
  Flush();
}

bool Logger::Enabled(LogLevel level) const {
  return level >= level_ && level_ != LogLevel::kOff;
}

void Logger::SetLevel(LogLevel level) {
  level_ = level;
  logger_->set_level(ToSpd(level));
}

void Logger::Log(LogLevel level, std::string_view msg, LogFields fields,
                 std::string_view request_id) {
  if (!Enabled(level)) return;
  // Written by hand rather than through json::object: this runs for every request.
  std::string line;
  line.reserve(256);
  line += "{\"time\":\"";
  line += FormatRfc3339Millis(SystemNow());
  line += "\",\"level\":\"";
  line += LevelName(level);
  line += "\",\"msg\":";
  AppendJsonString(line, msg);
  if (!request_id.empty()) {
    line += ",\"request_id\":";
    AppendJsonString(line, request_id);
  }
  for (const auto& f : fields) {
    line += ',';
    AppendJsonString(line, f.key);
    line += ':';
    std::visit(
        [&line](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::string_view>) {
            AppendJsonString(line, v);
          } else if constexpr (std::is_same_v<V, bool>) {
            line += v ? "true" : "false";
          } else if constexpr (std::is_same_v<V, double>) {
            if (std::isfinite(v)) {
              fmt::format_to(std::back_inserter(line), "{}", v);
            } else {
              line += "null";
            }
          } else if constexpr (std::is_same_v<V, boost::json::value>) {
            line += boost::json::serialize(v);
          } else {
            fmt::format_to(std::back_inserter(line), "{}", v);
          }
        },
        f.value);
  }
  line += '}';
  logger_->log(ToSpd(level), spdlog::string_view_t(line.data(), line.size()));
}

void Logger::LogObject(LogLevel level, std::string_view msg, boost::json::object fields) {
  if (!Enabled(level)) return;
  boost::json::object o;
  o.reserve(fields.size() + 3);
  o["time"] = FormatRfc3339Millis(SystemNow());
  o["level"] = LevelName(level);
  o["msg"] = msg;
  for (auto& kv : fields)
    o[kv.key()] = std::move(kv.value());
  logger_->log(ToSpd(level), "{}", boost::json::serialize(o));
}

void Logger::Flush() {
  if (logger_) logger_->flush();
}

}  // namespace studybot
