#include "core/log.h"

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/json/serialize.hpp>

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

}  // namespace

LogLevel ParseLogLevel(std::string_view t) {
  if (t == "trace") return LogLevel::kTrace;
  if (t == "debug") return LogLevel::kDebug;
  if (t == "warn") return LogLevel::kWarn;
  if (t == "error") return LogLevel::kError;
  if (t == "off") return LogLevel::kOff;
  return LogLevel::kInfo;
}

Logger::Logger(const Options& options) : level_(options.level) {
  spdlog::sink_ptr sink;
  if (options.sink == "stdout") {
    sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  } else if (options.sink == "stderr") {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.sink);
  }
  sink->set_pattern("%v");
  if (options.async) {
    // Our own pool rather than spdlog's global registry: no process-wide state.
    pool_ = std::make_shared<spdlog::details::thread_pool>(options.queue_size, 1);
    logger_ = std::make_shared<spdlog::async_logger>("studybot", sink, pool_,
                                                     spdlog::async_overflow_policy::block);
  } else {
    logger_ = std::make_shared<spdlog::logger>("studybot", sink);
  }
  logger_->set_level(ToSpd(options.level));
  logger_->flush_on(spdlog::level::warn);
}

Logger::~Logger() {
  Flush();
  // Destroying the logger and then its pool drains the queue and joins the logging thread.
  logger_.reset();
  pool_.reset();
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
  boost::json::object o;
  o.reserve(fields.size() + 4);
  o["time"] = FormatRfc3339Millis(SystemNow());
  o["level"] = LevelName(level);
  o["msg"] = msg;
  if (!request_id.empty()) o["request_id"] = request_id;
  for (const auto& f : fields)
    o[f.key] = f.value;
  logger_->log(ToSpd(level), "{}", boost::json::serialize(o));
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
