// Folder provider: temp file, fsync, rename, fsync of the folder. Readers never see a partial file.
#include "folder/folder_provider.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/guid.h"

namespace cortex::providers {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTempPrefix = ".cortexd-tmp-";

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
    if (!safe_name(name)) return make_error(ErrorCode::InvalidArgument, "refusing the object name '" + name + "'");
    fs::path final_path = root_ / name;
    fs::path temp_path = root_ / (kTempPrefix + Guid::random().str() + "-" + name);
    FileDescriptor fd(::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd.get() < 0) return io_error("cannot create " + temp_path.string());
    std::size_t written = 0;
    while (written < content.size()) {
      ssize_t n = ::write(fd.get(), content.data() + written, content.size() - written);
      if (n < 0) {
        if (errno == EINTR) continue;
        Error e = io_error("cannot write " + temp_path.string()).error();
        ::unlink(temp_path.c_str());
        return e;
      }
      written += static_cast<std::size_t>(n);
    }
    if (sync_ && ::fdatasync(fd.get()) != 0) {
      Error e = io_error("cannot sync " + temp_path.string()).error();
      ::unlink(temp_path.c_str());
      return e;
    }
    if (::close(fd.release()) != 0) {
      Error e = io_error("cannot close " + temp_path.string()).error();
      ::unlink(temp_path.c_str());
      return e;
    }
    if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
      Error e = io_error("cannot rename " + temp_path.string() + " to " + final_path.string()).error();
      ::unlink(temp_path.c_str());
      return e;
    }
    if (sync_) return sync_folder();
    return Status::OK();
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
