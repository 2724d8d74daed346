/*
 * Logging with levels, panic and assertions. Output goes to plat_console_write() (hosted:
 * stderr; kvm: the serial console), one line per call, written whole (lines never interleave).
 *
 * Every message is one line of at most UNIC_LOG_LINE_MAX - 1 bytes including its newline: a
 * newline is added unless the text ends with one, and a longer text is cut (the newline is
 * kept). Level prefixes: "error: ", "warn: ", none for info, "debug: ".
 */
#ifndef UNIC_LOG_H
#define UNIC_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define UNIC_LOG_LINE_MAX 512

/* UNIC_ rather than LOG_: <syslog.h> defines LOG_INFO and LOG_DEBUG. */
enum log_level { UNIC_LOG_ERROR = 0, UNIC_LOG_WARN = 1, UNIC_LOG_INFO = 2, UNIC_LOG_DEBUG = 3 };

/* Messages above this level are dropped (default UNIC_LOG_INFO; --quiet: UNIC_LOG_WARN,
 * --verbose: UNIC_LOG_DEBUG). A level outside the enum is taken as the nearest one. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* One line at (level), with its prefix, unless the level is above log_get_level(). The
 * log_error() ... macros below are the usual way in. */
void unic_log(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void unic_vlog(enum log_level level, const char *fmt, va_list ap);

/* The service's own output: printed whatever the level, without a prefix, as one line (the
 * newline added, the text cut at UNIC_LOG_LINE_MAX, as above). Not a stdio printf: nothing is
 * buffered, and two calls are two lines. */
void unic_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

_Noreturn void unic_panic(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(...) unic_log(UNIC_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) unic_log(UNIC_LOG_WARN, __VA_ARGS__)
#define log_info(...) unic_log(UNIC_LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
    do {                                                                                           \
        if (log_get_level() >= UNIC_LOG_DEBUG)                                                     \
            unic_log(UNIC_LOG_DEBUG, __VA_ARGS__);                                                 \
    } while (0)

#define PANIC(...) unic_panic(__FILE__, __LINE__, __VA_ARGS__)
#define ASSERT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond))                                                                               \
            unic_panic(__FILE__, __LINE__, "assertion failed: %s", #cond);                         \
    } while (0)

#endif
