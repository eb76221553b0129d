/* example-folder: a cortexd provider plugin in C, built against provider_plugin.h alone. Each object is
 * the file `<path>/<name>.example`, written atomically (temp file, fdatasync, rename, fsync of the folder). */
#define _XOPEN_SOURCE 700 /* POSIX.1-2008 with XSI: realpath, fdatasync, mkstemp */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provider_plugin.h"

#define SUFFIX ".example"
#define SUFFIX_LENGTH (sizeof(SUFFIX) - 1)
/* Temp files start with '.', which no object name may, so list() never mistakes one for an object. */
#define TEMP_PREFIX ".example-tmp-"
#define MAX_FILE_NAME 255

/* One instance per profile; nothing is shared between instances, so no locking is needed. */
struct cortexd_provider_instance {
  char root[PATH_MAX];
};

/* Writes "cannot <what> <path>: <strerror>" and returns the status that errno calls for. Failures that
 * may clear up by themselves (disk full, read-only remount) are worth a retry by cortexd. */
static int fail_errno(char* error, size_t error_len, const char* what, const char* path) {
  int saved = errno;
  snprintf(error, error_len, "cannot %s %s: %s", what, path, strerror(saved));
  errno = saved; /* the caller may still look at it */
  switch (saved) {
    case ENOSPC: case EDQUOT: case EROFS: case EIO: case EAGAIN: return CORTEXD_PROVIDER_UNAVAILABLE;
    default: return CORTEXD_PROVIDER_IO_ERROR;
  }
}

/* Names that could leave the folder, or pass for a temp file, are refused. */
static int check_name(const char* name, char* error, size_t error_len) {
  size_t n = strlen(name);
  int ok = n > 0 && n + SUFFIX_LENGTH <= MAX_FILE_NAME && name[0] != '.';
  for (size_t i = 0; ok && i < n; ++i) {
    char c = name[i];
    ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  }
  if (ok) return CORTEXD_PROVIDER_OK;
  snprintf(error, error_len, "example-folder refuses the object name '%.64s'", name);
  return CORTEXD_PROVIDER_INVALID_ARGUMENT;
}

static int object_path(const cortexd_provider_instance* self, const char* name, char* out, size_t len) {
  int n = snprintf(out, len, "%s/%s" SUFFIX, self->root, name);
  return n > 0 && (size_t)n < len;
}

static int write_all(int fd, const unsigned char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    data += n;
    size -= (size_t)n;
  }
  return 0;
}

static cortexd_provider_instance* example_create(const cortexd_provider_setting* settings, size_t count, char* error,
                                                 size_t error_len) {
  const char* path = NULL;
  for (size_t i = 0; i < count; ++i) {
    if (strcmp(settings[i].key, "path") != 0) {
      /* Only the key: a value may be a secret. */
      snprintf(error, error_len, "unknown example-folder setting '%s' (known: path)", settings[i].key);
      return NULL;
    }
    path = settings[i].value;
  }
  if (path == NULL || path[0] == '\0') {
    snprintf(error, error_len, "the example-folder provider needs a 'path' setting");
    return NULL;
  }
  /* The folder is created when missing; its parent must exist. */
  if (mkdir(path, 0755) != 0 && errno != EEXIST) {
    fail_errno(error, error_len, "create the folder", path);
    return NULL;
  }
  cortexd_provider_instance* self = calloc(1, sizeof *self);
  if (self == NULL) {
    snprintf(error, error_len, "example-folder: out of memory");
    return NULL;
  }
  struct stat info;
  if (realpath(path, self->root) == NULL || stat(self->root, &info) != 0) {
    fail_errno(error, error_len, "resolve the folder", path);
    free(self);
    return NULL;
  }
  if (!S_ISDIR(info.st_mode)) {
    snprintf(error, error_len, "setting 'path': %s is not a folder", path);
    free(self);
    return NULL;
  }
  return self;
}

static void example_destroy(cortexd_provider_instance* self) { free(self); }

static int example_store(cortexd_provider_instance* self, const char* name, const void* data, size_t size, char* error,
                         size_t error_len) {
  int status = check_name(name, error, error_len);
  if (status != CORTEXD_PROVIDER_OK) return status;
  char final_path[PATH_MAX];
  char temp_path[PATH_MAX];
  if (!object_path(self, name, final_path, sizeof final_path) ||
      snprintf(temp_path, sizeof temp_path, "%s/" TEMP_PREFIX "XXXXXX", self->root) >= (int)sizeof temp_path) {
    snprintf(error, error_len, "the path for '%s' under %s is too long", name, self->root);
    return CORTEXD_PROVIDER_INVALID_ARGUMENT;
  }
  /* mkstemp gives a unique temp file per call, so concurrent instances on one folder cannot collide. */
  int fd = mkstemp(temp_path);
  if (fd < 0) return fail_errno(error, error_len, "create a temp file in", self->root);
  if (fchmod(fd, 0644) != 0 || write_all(fd, (const unsigned char*)data, size) != 0 || fdatasync(fd) != 0) {
    status = fail_errno(error, error_len, "write", temp_path);
    close(fd);
    unlink(temp_path);
    return status;
  }
  if (close(fd) != 0) {
    status = fail_errno(error, error_len, "close", temp_path);
    unlink(temp_path);
    return status;
  }
  if (rename(temp_path, final_path) != 0) {
    status = fail_errno(error, error_len, "rename a temp file to", final_path);
    unlink(temp_path);
    return status;
  }
  /* The rename is durable only once the folder itself is synced. */
  int dir = open(self->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return fail_errno(error, error_len, "open the folder", self->root);
  if (fsync(dir) != 0) {
    status = fail_errno(error, error_len, "sync the folder", self->root);
    close(dir);
    return status;
  }
  close(dir);
  return CORTEXD_PROVIDER_OK;
}

static int example_list(cortexd_provider_instance* self, cortexd_provider_name_callback callback, void* context,
                        char* error, size_t error_len) {
  DIR* dir = opendir(self->root);
  if (dir == NULL) return fail_errno(error, error_len, "list", self->root);
  int status = CORTEXD_PROVIDER_OK;
  for (;;) {
    errno = 0;
    struct dirent* entry = readdir(dir);
    if (entry == NULL) {
      if (errno != 0) status = fail_errno(error, error_len, "list", self->root);
      break;
    }
    size_t n = strlen(entry->d_name);
    if (entry->d_name[0] == '.' || n <= SUFFIX_LENGTH || strcmp(entry->d_name + n - SUFFIX_LENGTH, SUFFIX) != 0) continue;
    char name[MAX_FILE_NAME + 1];
    memcpy(name, entry->d_name, n - SUFFIX_LENGTH);
    name[n - SUFFIX_LENGTH] = '\0';
    if (callback(context, name) != 0) {
      status = CORTEXD_PROVIDER_ABORTED;
      break;
    }
  }
  closedir(dir);
  return status;
}

static int example_read(cortexd_provider_instance* self, const char* name, cortexd_provider_data_callback callback,
                        void* context, char* error, size_t error_len) {
  int status = check_name(name, error, error_len);
  if (status != CORTEXD_PROVIDER_OK) return status;
  char path[PATH_MAX];
  if (!object_path(self, name, path, sizeof path)) {
    snprintf(error, error_len, "the path for '%s' under %s is too long", name, self->root);
    return CORTEXD_PROVIDER_INVALID_ARGUMENT;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    status = fail_errno(error, error_len, "open", path);
    return errno == ENOENT ? CORTEXD_PROVIDER_NOT_FOUND : status;
  }
  /* Chunks go straight from this buffer to cortexd: the plugin never hands over memory it allocated. */
  unsigned char buffer[65536];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      status = fail_errno(error, error_len, "read", path);
      break;
    }
    if (n == 0) break;
    if (callback(context, buffer, (size_t)n) != 0) {
      status = CORTEXD_PROVIDER_ABORTED;
      break;
    }
  }
  close(fd);
  return status;
}

static int example_remove(cortexd_provider_instance* self, const char* name, char* error, size_t error_len) {
  int status = check_name(name, error, error_len);
  if (status != CORTEXD_PROVIDER_OK) return status;
  char path[PATH_MAX];
  if (!object_path(self, name, path, sizeof path)) {
    snprintf(error, error_len, "the path for '%s' under %s is too long", name, self->root);
    return CORTEXD_PROVIDER_INVALID_ARGUMENT;
  }
  if (unlink(path) != 0 && errno != ENOENT) return fail_errno(error, error_len, "remove", path);
  return CORTEXD_PROVIDER_OK;
}

static void example_location(const cortexd_provider_instance* self, char* out, size_t len) {
  snprintf(out, len, "example-folder %s", self->root);
}

/* Temp files of stores a killed daemon never finished. */
static int example_remove_incomplete(cortexd_provider_instance* self, int64_t* removed, char* error, size_t error_len) {
  *removed = 0;
  DIR* dir = opendir(self->root);
  if (dir == NULL) return fail_errno(error, error_len, "list", self->root);
  int status = CORTEXD_PROVIDER_OK;
  for (;;) {
    errno = 0;
    struct dirent* entry = readdir(dir);
    if (entry == NULL) {
      if (errno != 0) status = fail_errno(error, error_len, "list", self->root);
      break;
    }
    if (strncmp(entry->d_name, TEMP_PREFIX, strlen(TEMP_PREFIX)) != 0) continue;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", self->root, entry->d_name) >= (int)sizeof path) continue;
    if (unlink(path) != 0 && errno != ENOENT) {
      status = fail_errno(error, error_len, "remove", path);
      break;
    }
    ++*removed;
  }
  closedir(dir);
  return status;
}

static const cortexd_provider_api_v1 example_api = {
    CORTEXD_PROVIDER_ABI_VERSION,
    "example-folder",
    example_create,
    example_destroy,
    example_store,
    example_list,
    example_read,
    example_remove,
    example_location,
    example_remove_incomplete,
};

CORTEXD_PLUGIN_EXPORT const cortexd_provider_api_v1* cortexd_provider_plugin_v1(void) { return &example_api; }
