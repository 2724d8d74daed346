/*
 * Logging with levels, panic and assertions. Output goes to plat_console_write().
 */
#ifndef UNIC_LOG_H
#define UNIC_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Messages above this level are dropped. Set by --verbose / --quiet. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void unic_log(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void unic_vlog(enum log_level level, const char *fmt, va_list ap);

/* Print unconditionally (no level prefix): the service's own output. */
void unic_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

_Noreturn void unic_panic(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(...) unic_log(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) unic_log(LOG_WARN, __VA_ARGS__)
#define log_info(...) unic_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
    do {                                                                                           \
        if (log_get_level() >= LOG_DEBUG)                                                          \
            unic_log(LOG_DEBUG, __VA_ARGS__);                                                      \
    } while (0)

#define PANIC(...) unic_panic(__FILE__, __LINE__, __VA_ARGS__)
#define ASSERT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond))                                                                               \
            unic_panic(__FILE__, __LINE__, "assertion failed: %s", #cond);                         \
    } while (0)

#endif
