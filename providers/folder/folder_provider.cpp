// Folder provider: temp file, fsync, rename, fsync of the folder. Readers never see a partial file.
// Several files at once share one sync (store_all).
#include "folder/folder_provider.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "common/guid.h"

namespace cortex::providers {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTempPrefix = ".cortexd-tmp-";
// Files are written in pieces of this size: the kernel copies one write() into the page cache without giving the
// CPU up, so one 8 MB write held a core for milliseconds, long enough to show in the API's answer times (progress
// p99 8 ms -> 4 ms during a 2-worker export with BatchSize 5000).
constexpr std::size_t kWriteChunk = 256 << 10;

std::string errno_text() { return std::strerror(errno); }

// Object names come from task and batch ids; anything else is refused so no name can leave the folder.
bool safe_name(const std::string& name) {
  if (name.empty() || name.size() > 255 || name[0] == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  });
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

class FolderProvider final : public StorageProvider {
 public:
  FolderProvider(fs::path root, bool sync) : root_(std::move(root)), sync_(sync) {}

  Status store(const std::string& name, std::string_view content) override {
    auto temp = write_temp(name, content);
    if (!temp.ok()) return temp.error();
    if (sync_ && ::fdatasync(temp->fd()) != 0) return io_error("cannot sync " + temp->path().string());
    CORTEX_RETURN_IF_ERROR(publish(*temp));
    if (sync_) return sync_folder();
    return Status::OK();
  }

  // All files are written first, with their write-back started at once, then one syncfs makes them all
  // durable (one device flush instead of one per file), then each is renamed and the folder synced.
  Status store_all(const std::vector<StoreRequest>& objects) override {
    if (!sync_ || objects.size() < 2) return StorageProvider::store_all(objects);
    std::vector<TempFile> temps;
    temps.reserve(objects.size());
    for (const auto& o : objects) {
      auto temp = write_temp(o.name, o.content);
      if (!temp.ok()) return temp.error();
      // Only a hint to start writing now; syncfs below is what makes the data durable.
      (void)::sync_file_range(temp->fd(), 0, 0, SYNC_FILE_RANGE_WRITE);
      temps.push_back(std::move(*temp));
    }
    if (::syncfs(temps.front().fd()) != 0) return io_error("cannot sync the file system of " + root_.string());
    for (auto& temp : temps) CORTEX_RETURN_IF_ERROR(publish(temp));
    return sync_folder();
  }

  Result<std::vector<std::string>> list() override {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root_, ec)) {
      std::string name = entry.path().filename().string();
      if (entry.is_regular_file() && name.rfind(kTempPrefix, 0) != 0) names.push_back(name);
    }
    if (ec) return make_error(ErrorCode::IOError, "cannot list " + root_.string() + ": " + ec.message());
    std::sort(names.begin(), names.end());
    return names;
  }

  Result<std::string> read(const std::string& name) override {
    if (!safe_name(name)) return make_error(ErrorCode::InvalidArgument, "refusing the object name '" + name + "'");
    std::ifstream in(root_ / name, std::ios::binary);
    if (!in) return make_error(ErrorCode::NotFound, "no file " + (root_ / name).string());
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }

  Status remove(const std::string& name) override {
    if (!safe_name(name)) return make_error(ErrorCode::InvalidArgument, "refusing the object name '" + name + "'");
    std::error_code ec;
    fs::remove(root_ / name, ec);
    if (ec) return make_error(ErrorCode::IOError, "cannot remove " + (root_ / name).string() + ": " + ec.message());
    return Status::OK();
  }

  std::string location() const override { return "folder " + root_.string(); }

  Result<std::int64_t> remove_incomplete() override {
    std::int64_t removed = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root_, ec)) {
      if (entry.path().filename().string().rfind(kTempPrefix, 0) != 0) continue;
      std::error_code remove_ec;
      if (fs::remove(entry.path(), remove_ec)) ++removed;
      if (remove_ec) {
        return make_error(ErrorCode::IOError, "cannot remove " + entry.path().string() + ": " + remove_ec.message());
      }
    }
    if (ec) return make_error(ErrorCode::IOError, "cannot list " + root_.string() + ": " + ec.message());
    return removed;
  }

 private:
  // A file being written, published under its final name only once complete: either an unnamed file in the
  // folder (O_TMPFILE), linked in under its name, or a named temp file renamed to it. The unnamed kind keeps the
  // folder's lock out of the file's creation, which on ext4 without a journal can take long (it searches the inode
  // tables past recently freed inodes) while the other worker waits to create its own; and a crash leaves no temp
  // name behind. A temp file not published is removed (an unnamed one when closed).
  class TempFile {
   public:
    TempFile(fs::path temp, fs::path final_path, int fd)
        : temp_(std::move(temp)), final_(std::move(final_path)), fd_(fd) {}
    TempFile(TempFile&& other) noexcept
        : temp_(std::move(other.temp_)), final_(std::move(other.final_)), fd_(std::move(other.fd_)),
          published_(std::exchange(other.published_, true)) {}
    TempFile& operator=(TempFile&&) = delete;
    ~TempFile() {
      if (!published_ && !temp_.empty()) ::unlink(temp_.c_str());
    }
    int fd() const { return fd_.get(); }
    bool unnamed() const { return temp_.empty(); }
    // The temp name, or for an unnamed file the folder it will be linked into.
    const fs::path& path() const { return unnamed() ? final_ : temp_; }
    const fs::path& final_path() const { return final_; }
    void named(fs::path temp) { temp_ = std::move(temp); }
    void published() { published_ = true; }
    Status close() {
      if (::close(fd_.release()) != 0) return Status(make_error(ErrorCode::IOError, "cannot close " + path().string() + ": " + errno_text()));
      return Status::OK();
    }

   private:
    fs::path temp_;
    fs::path final_;
    FileDescriptor fd_;
    bool published_ = false;
  };

  fs::path temp_name(const std::string& name) const { return root_ / (kTempPrefix + Guid::random().str() + "-" + name); }

  Result<TempFile> write_temp(const std::string& name, std::string_view content) {
    if (!safe_name(name)) return make_error(ErrorCode::InvalidArgument, "refusing the object name '" + name + "'");
    std::optional<TempFile> temp;
#ifdef O_TMPFILE
    if (unnamed_temps_) {
      int raw = ::open(root_.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
      if (raw >= 0) {
        temp.emplace(fs::path(), root_ / name, raw);
      } else if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
        unnamed_temps_ = false;  // this file system (or kernel) has no unnamed files: named ones from now on
      } else {
        return io_error("cannot create a file in " + root_.string()).error();
      }
    }
#endif
    if (!temp) {
      fs::path temp_path = temp_name(name);
      int raw = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (raw < 0) return io_error("cannot create " + temp_path.string()).error();
      temp.emplace(temp_path, root_ / name, raw);
    }
    std::size_t written = 0;
    while (written < content.size()) {
      ssize_t n = ::write(temp->fd(), content.data() + written, std::min(content.size() - written, kWriteChunk));
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_error("cannot write " + temp->final_path().string()).error();
      }
      written += static_cast<std::size_t>(n);
    }
    return std::move(*temp);
  }

  // Gives the temp file its final name (replacing a file of that name, left by an earlier attempt at the same
  // batch) and closes it.
  Status publish(TempFile& temp) {
    if (temp.unnamed()) {
      const std::string self = "/proc/self/fd/" + std::to_string(temp.fd());
      if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, temp.final_path().c_str(), AT_SYMLINK_FOLLOW) == 0) {
        temp.published();
        return temp.close();
      }
      if (errno != EEXIST) return io_error("cannot link the new file in as " + temp.final_path().string());
      // The name is taken: link it in under a temp name and rename that over it, which replaces atomically.
      fs::path named = temp_name(temp.final_path().filename().string());
      if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, named.c_str(), AT_SYMLINK_FOLLOW) != 0) {
        return io_error("cannot link the new file in as " + named.string());
      }
      temp.named(std::move(named));
    }
    CORTEX_RETURN_IF_ERROR(temp.close());
    if (::rename(temp.path().c_str(), temp.final_path().c_str()) != 0) {
      return io_error("cannot rename " + temp.path().string() + " to " + temp.final_path().string());
    }
    temp.published();
    return Status::OK();
  }

  // Unnamed files are linked in through /proc/self/fd (a link by descriptor alone needs a privilege); without
  // /proc the folder gets named temp files. Whether the file system has unnamed files shows at the first one.
  static bool can_link_unnamed_files() {
#ifdef O_TMPFILE
    return ::access("/proc/self/fd", X_OK) == 0;
#else
    return false;
#endif
  }

  Status sync_folder() {
    FileDescriptor dir(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0 || ::fsync(dir.get()) != 0) return io_error("cannot sync the folder " + root_.string());
    return Status::OK();
  }

  Status io_error(const std::string& what) const {
    // ENOSPC, EROFS, EIO may clear up (space freed, disk remounted): worth a retry.
    ErrorCode code = (errno == ENOSPC || errno == EROFS || errno == EIO || errno == EDQUOT || errno == EAGAIN)
                         ? ErrorCode::Unavailable
                         : ErrorCode::IOError;
    return make_error(code, what + ": " + errno_text());
  }

  fs::path root_;
  bool sync_;
  bool unnamed_temps_ = can_link_unnamed_files();
};

Result<std::unique_ptr<StorageProvider>> create_folder_provider(const ProviderSettings& settings) {
  for (const auto& [key, _] : settings) {
    if (key != "path" && key != "fsync") {
      return make_error(ErrorCode::InvalidArgument, "unknown folder setting '" + key + "' (known: path, fsync)");
    }
  }
  auto path = settings.find("path");
  if (path == settings.end() || path->second.empty()) {
    return make_error(ErrorCode::InvalidArgument, "the folder provider needs a 'path' setting");
  }
  bool sync = true;
  if (auto it = settings.find("fsync"); it != settings.end()) {
    if (it->second == "true") sync = true;
    else if (it->second == "false") sync = false;
    else return make_error(ErrorCode::InvalidArgument, "setting 'fsync' must be true or false, not '" + it->second + "'");
  }
  std::error_code ec;
  fs::create_directories(path->second, ec);
  if (ec) return make_error(ErrorCode::IOError, "cannot create the folder " + path->second + ": " + ec.message());
  fs::path root = fs::canonical(path->second, ec);
  if (ec) return make_error(ErrorCode::IOError, "cannot resolve the folder " + path->second + ": " + ec.message());
  if (!fs::is_directory(root)) return make_error(ErrorCode::InvalidArgument, path->second + " is not a folder");
  return std::unique_ptr<StorageProvider>(std::make_unique<FolderProvider>(root, sync));
}

}  // namespace

void register_folder_provider(ProviderRegistry& registry) { registry.add("folder", create_folder_provider); }

}  // namespace cortex::providers
