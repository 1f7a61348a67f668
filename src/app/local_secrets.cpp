#include "app/local_secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/strings.h"

namespace studybot::app {

Result<std::string> LoadOrCreateSecretFile(const std::string& path,
                                           const std::function<std::string()>& make) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0) {
      struct stat st {};
      if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
        ::close(fd);
        return Error::InvalidArgument(path + " must be readable by its owner only (chmod 600)");
      }
      std::string text;
      char buf[512];
      ssize_t n;
      while ((n = ::read(fd, buf, sizeof buf)) > 0)
        text.append(buf, static_cast<std::size_t>(n));
      ::close(fd);
      std::string value(Trim(text));
      if (value.empty()) return Error::InvalidArgument(path + " is empty");
      return value;
    }
    if (errno != ENOENT) {
      return Error::Unavailable("cannot read " + path + ": " + std::strerror(errno));
    }
    // O_EXCL: when two processes start together, one creates and the other reads.
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      return Error::Unavailable("cannot create " + path + ": " + std::strerror(errno));
    }
    std::string value = make() + "\n";
    bool ok = ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
    ok = ::fsync(fd) == 0 && ok;
    ::close(fd);
    if (!ok) return Error::Unavailable("cannot write " + path);
    return std::string(Trim(value));
  }
  return Error::Unavailable("cannot create " + path);
}

}  // namespace studybot::app
