/* provider_plugin.h: the C ABI (version 1) between cortexd and a storage provider plugin. */
#ifndef CORTEXD_PROVIDER_PLUGIN_H
#define CORTEXD_PROVIDER_PLUGIN_H

/*
 * Writing a plugin
 * ----------------
 * A plugin is a shared library (`*.so`) that cortexd loads at start-up from its plugins folder. It
 * adds one storage provider, named by the plugin, which storage profiles then select with
 * `provider: <name>`. The plugin includes this header only (it is plain C99 and also compiles as
 * C++); it needs nothing else from cortexd and links against nothing of it.
 *
 *     #include "provider_plugin.h"
 *
 *     struct cortexd_provider_instance { char root[4096]; };   // your per-profile state
 *
 *     static cortexd_provider_instance* my_create(const cortexd_provider_setting* settings,
 *                                                 size_t count, char* error, size_t error_len) { ... }
 *     ... my_destroy, my_store, my_list, my_read, my_remove, my_location, my_remove_incomplete ...
 *
 *     static const cortexd_provider_api_v1 api = {
 *         CORTEXD_PROVIDER_ABI_VERSION, "my-provider", my_create, my_destroy, my_store,
 *         my_list, my_read, my_remove, my_location, my_remove_incomplete};
 *
 *     CORTEXD_PLUGIN_EXPORT const cortexd_provider_api_v1* cortexd_provider_plugin_v1(void) { return &api; }
 *
 * Build it as a shared library (`gcc -shared -fPIC -fvisibility=hidden ...`, or a CMake MODULE
 * library), drop the `.so` into the folder named by the `plugins_dir` setting, and restart cortexd.
 * providers/example-plugin/ is a complete plugin to copy from.
 *
 * Rules of the boundary
 * ---------------------
 * - Only C types cross it. No C++ exception may leave a plugin function (a C++ plugin catches
 *   everything at each entry point); cortexd never lets one reach the plugin either.
 * - Nobody frees the other's memory. Every pointer cortexd passes in (settings, names, data, the
 *   callbacks' context) is valid only for the duration of that call: copy what you keep. Results
 *   come back through callbacks and caller-provided buffers, never as allocations.
 * - Strings are NUL-terminated UTF-8. Object data is bytes with an explicit size.
 * - Text written into an `error` or `out` buffer is NUL-terminated and truncated to fit `len`
 *   bytes (cortexd passes at least CORTEXD_PROVIDER_MIN_BUFFER bytes). An error message says what
 *   failed and where ("cannot rename /x/.tmp to /x/a.json: No space left on device") and names a
 *   bad setting by its key. Setting VALUES may be secrets (keys, SAS tokens): never copy one into
 *   an error message or the location.
 *
 * Threading
 * ---------
 * - One instance (the handle `create` returns) is used by one thread at a time: cortexd never calls
 *   two functions on the same instance concurrently, but successive calls may come from different
 *   threads.
 * - Different instances may be used concurrently from different threads, and `create` / `destroy`
 *   may run while other instances are in use. State shared between instances (caches, connection
 *   pools, global counters) must therefore be synchronised by the plugin.
 * - A plugin must not leave threads or callbacks running after `destroy` returns: cortexd unloads the
 *   library (dlclose) once the last instance is destroyed and the provider is unregistered.
 *
 * Versioning
 * ----------
 * The entry point's name carries the ABI version, and the table it returns repeats it in
 * `abi_version`. The version 1 layout never changes. An incompatible change adds a new entry point
 * (`cortexd_provider_plugin_v2`) and table type; a cortexd that knows several versions looks them
 * up newest first. cortexd refuses a plugin whose table holds another `abi_version` than the entry
 * point it found, or whose table has a NULL function.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes. */
#define CORTEXD_PROVIDER_ABI_VERSION 1u

/* The exported entry point's name, for dlsym. */
#define CORTEXD_PROVIDER_PLUGIN_ENTRY_V1 "cortexd_provider_plugin_v1"

/* The smallest `error` / `out` buffer cortexd passes; longer text is truncated by the plugin. */
#define CORTEXD_PROVIDER_MIN_BUFFER 256u

/* Marks the entry point as exported even when the plugin is built with -fvisibility=hidden. */
#if defined(__cplusplus)
#define CORTEXD_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))
#else
#define CORTEXD_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* Status codes returned by store, list, read, remove and remove_incomplete. */
enum {
  CORTEXD_PROVIDER_OK = 0,
  /* The request can never succeed as given: a refused object name, a bad setting. Not retried. */
  CORTEXD_PROVIDER_INVALID_ARGUMENT = 1,
  /* Transient: the target is down, throttling, out of space; cortexd retries with backoff. */
  CORTEXD_PROVIDER_UNAVAILABLE = 2,
  /* The target failed in a way a retry will not fix (permission denied, protocol error). */
  CORTEXD_PROVIDER_IO_ERROR = 3,
  /* `read`: there is no object of that name. */
  CORTEXD_PROVIDER_NOT_FOUND = 4,
  /* A callback returned nonzero and the plugin stopped early; cortexd reports its own reason. */
  CORTEXD_PROVIDER_ABORTED = 5
};
/* Any other nonzero status is treated as CORTEXD_PROVIDER_IO_ERROR. */

/* One provider setting from a storage profile, `${ENV}` references already expanded. */
typedef struct cortexd_provider_setting {
  const char* key;
  const char* value; /* may be a secret */
} cortexd_provider_setting;

/* A provider instance: opaque to cortexd. The plugin defines `struct cortexd_provider_instance`
 * (or casts its own type to and from this pointer). */
typedef struct cortexd_provider_instance cortexd_provider_instance;

/* Receives one object name from `list`. Returns 0 to go on, nonzero to make `list` stop and return
 * CORTEXD_PROVIDER_ABORTED. `name` is valid only during the call. */
typedef int (*cortexd_provider_name_callback)(void* context, const char* name);

/* Receives the next chunk of an object from `read` (data may be NULL when size is 0). Returns 0 to
 * go on, nonzero to make `read` stop and return CORTEXD_PROVIDER_ABORTED. The chunk is valid only
 * during the call. */
typedef int (*cortexd_provider_data_callback)(void* context, const void* data, size_t size);

/* The table a version 1 plugin exports. Every member is required (no NULLs). */
typedef struct cortexd_provider_api_v1 {
  /* CORTEXD_PROVIDER_ABI_VERSION as compiled into the plugin. */
  uint32_t abi_version;

  /* The provider name profiles select, e.g. "s3" or "example-folder": letters, digits, '-', '_', '.',
   * at most 64 characters. It must not clash with a provider cortexd already has. Static storage. */
  const char* name;

  /* Makes an instance from a profile's settings (`count` pairs, keys unique, in no particular order).
   * Validates them all: a missing or unknown key, or a value it cannot use, fails with a message
   * naming the key. May touch the target (create a folder, check credentials). Returns NULL on
   * failure, with the reason in `error`. */
  cortexd_provider_instance* (*create)(const cortexd_provider_setting* settings, size_t count, char* error,
                                       size_t error_len);

  /* Releases an instance made by `create`; never fails. Called exactly once per instance. */
  void (*destroy)(cortexd_provider_instance* instance);

  /* Stores `size` bytes at `data` as the object `name`, atomically: a reader sees the old object or
   * the whole new one, never a part. A return of CORTEXD_PROVIDER_OK means the object is durable.
   * Storing an existing name replaces it. A name the plugin cannot store safely (one that could
   * leave its folder or container) is refused with CORTEXD_PROVIDER_INVALID_ARGUMENT. */
  int (*store)(cortexd_provider_instance* instance, const char* name, const void* data, size_t size, char* error,
               size_t error_len);

  /* Calls `callback` once per stored object name, in any order (cortexd sorts), then returns
   * CORTEXD_PROVIDER_OK. Half-written (temporary) objects are not listed. */
  int (*list)(cortexd_provider_instance* instance, cortexd_provider_name_callback callback, void* context,
              char* error, size_t error_len);

  /* Delivers the object `name` through `callback`, in one or more chunks in order; their
   * concatenation is the object. CORTEXD_PROVIDER_NOT_FOUND when there is no such object. */
  int (*read)(cortexd_provider_instance* instance, const char* name, cortexd_provider_data_callback callback,
              void* context, char* error, size_t error_len);

  /* Deletes the object `name`. Deleting an object that does not exist succeeds. */
  int (*remove)(cortexd_provider_instance* instance, const char* name, char* error, size_t error_len);

  /* Writes where the objects go, for people ("example-folder /var/lib/exports"), into `out`
   * (NUL-terminated, truncated to `len`). Never a secret. Cannot fail. */
  void (*location)(const cortexd_provider_instance* instance, char* out, size_t len);

  /* Deletes what interrupted stores left behind (temp files of a killed daemon) and sets `*removed`
   * to how many it deleted. cortexd calls it at start-up, when none of its stores is in flight. A
   * provider whose stores leave nothing behind sets 0 and returns CORTEXD_PROVIDER_OK. */
  int (*remove_incomplete)(cortexd_provider_instance* instance, int64_t* removed, char* error, size_t error_len);
} cortexd_provider_api_v1;

/* The one symbol a version 1 plugin exports. Returns a pointer to a table with static storage
 * duration; may be called more than once and returns the same table each time. Must not fail or
 * do work beyond returning the table (no I/O: that belongs in `create`). */
CORTEXD_PLUGIN_EXPORT const cortexd_provider_api_v1* cortexd_provider_plugin_v1(void);

/* The entry point's type, for the loader. */
typedef const cortexd_provider_api_v1* (*cortexd_provider_plugin_v1_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CORTEXD_PROVIDER_PLUGIN_H */
