/* Plugins for the loader's tests, one per TEST_PLUGIN_* definition: three broken ones and one that
 * answers with whatever status the object name asks for. Built beside the example, never installed. */
#include <stdio.h>
#include <string.h>

#include "provider_plugin.h"

#if defined(TEST_PLUGIN_NO_ENTRY)

/* A shared library that exports something, but not the entry point. */
__attribute__((visibility("default"))) int not_a_cortexd_plugin(void) { return 42; }

#else

/* Instances carry no state, so every one is this object. */
struct cortexd_provider_instance {
  int unused;
};
static cortexd_provider_instance the_instance;

static cortexd_provider_instance* test_create(const cortexd_provider_setting* settings, size_t count, char* error,
                                              size_t error_len) {
  (void)settings;
  (void)count;
  (void)error;
  (void)error_len;
  return &the_instance;
}

static void test_destroy(cortexd_provider_instance* instance) { (void)instance; }

/* "invalid", "unavailable", "io", "not-found", "other" fail with that status and a message; "silent"
 * fails without one; any other name succeeds. */
static int status_for(const char* operation, const char* name, char* error, size_t error_len) {
  static const struct {
    const char* name;
    int status;
  } answers[] = {
      {"invalid", CORTEXD_PROVIDER_INVALID_ARGUMENT}, {"unavailable", CORTEXD_PROVIDER_UNAVAILABLE},
      {"io", CORTEXD_PROVIDER_IO_ERROR},              {"not-found", CORTEXD_PROVIDER_NOT_FOUND},
      {"other", 77},
  };
  if (strcmp(name, "silent") == 0) return CORTEXD_PROVIDER_IO_ERROR;
  for (size_t i = 0; i < sizeof answers / sizeof answers[0]; ++i) {
    if (strcmp(name, answers[i].name) == 0) {
      snprintf(error, error_len, "%s %s failed on purpose", operation, name);
      return answers[i].status;
    }
  }
  return CORTEXD_PROVIDER_OK;
}

#if !defined(TEST_PLUGIN_NULL_FUNCTION)
static int test_store(cortexd_provider_instance* instance, const char* name, const void* data, size_t size,
                      char* error, size_t error_len) {
  (void)instance;
  (void)data;
  (void)size;
  return status_for("store", name, error, error_len);
}
#endif

/* Unsorted on purpose: the loader sorts. */
static int test_list(cortexd_provider_instance* instance, cortexd_provider_name_callback callback, void* context,
                     char* error, size_t error_len) {
  (void)instance;
  (void)error;
  (void)error_len;
  const char* names[] = {"c", "a", "b"};
  for (size_t i = 0; i < 3; ++i) {
    if (callback(context, names[i]) != 0) return CORTEXD_PROVIDER_ABORTED;
  }
  return CORTEXD_PROVIDER_OK;
}

/* Delivers the name itself, one byte per chunk, plus an empty chunk. */
static int test_read(cortexd_provider_instance* instance, const char* name, cortexd_provider_data_callback callback,
                     void* context, char* error, size_t error_len) {
  (void)instance;
  int status = status_for("read", name, error, error_len);
  if (status != CORTEXD_PROVIDER_OK) return status;
  if (callback(context, NULL, 0) != 0) return CORTEXD_PROVIDER_ABORTED;
  for (const char* p = name; *p != '\0'; ++p) {
    if (callback(context, p, 1) != 0) return CORTEXD_PROVIDER_ABORTED;
  }
  return CORTEXD_PROVIDER_OK;
}

static int test_remove(cortexd_provider_instance* instance, const char* name, char* error, size_t error_len) {
  (void)instance;
  return status_for("remove", name, error, error_len);
}

/* Writes nothing: the loader falls back to the provider name. */
static void test_location(const cortexd_provider_instance* instance, char* out, size_t len) {
  (void)instance;
  (void)out;
  (void)len;
}

/* Reports two leftovers removed. */
static int test_remove_incomplete(cortexd_provider_instance* instance, int64_t* removed, char* error,
                                  size_t error_len) {
  (void)instance;
  (void)error;
  (void)error_len;
  *removed = 2;
  return CORTEXD_PROVIDER_OK;
}

#if defined(TEST_PLUGIN_STATUS)
static const cortexd_provider_api_v1 test_api = {
    CORTEXD_PROVIDER_ABI_VERSION, "test-status", test_create, test_destroy, test_store, test_list, test_read,
    test_remove, test_location, test_remove_incomplete,
};
#elif defined(TEST_PLUGIN_WRONG_ABI)
/* As if built against a future header. */
static const cortexd_provider_api_v1 test_api = {
    99u,       "test-wrong-abi", test_create, test_destroy, test_store, test_list, test_read, test_remove,
    test_location, test_remove_incomplete,
};
#elif defined(TEST_PLUGIN_NULL_FUNCTION)
/* store is NULL. */
static const cortexd_provider_api_v1 test_api = {
    CORTEXD_PROVIDER_ABI_VERSION, "test-null-function", test_create, test_destroy, NULL, test_list, test_read,
    test_remove, test_location, test_remove_incomplete,
};
#else
#error "define one of TEST_PLUGIN_NO_ENTRY, TEST_PLUGIN_WRONG_ABI, TEST_PLUGIN_NULL_FUNCTION, TEST_PLUGIN_STATUS"
#endif

CORTEXD_PLUGIN_EXPORT const cortexd_provider_api_v1* cortexd_provider_plugin_v1(void) { return &test_api; }

#endif
