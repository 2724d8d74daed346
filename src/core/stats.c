/* Printing and lookup of X-macro counter structs (see include/unic/stats.h). */
#include "unic/stats.h"

#include <stdio.h>
#include <stdbool.h>
#include <string.h>

#include "unic/log.h"

void stats_print(const char *module, const char *const *names, const void *stats, size_t n, int all)
{
    const uint64_t *values = stats;
    char line[1024];
    size_t used = (size_t)snprintf(line, sizeof(line), "stats %s:", module);
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (!values[i] && !all)
            continue;
        int w = snprintf(line + used, sizeof(line) - used, " %s=%llu", names[i],
                         (unsigned long long)values[i]);
        if (w < 0 || (size_t)w >= sizeof(line) - used)
            break;
        used += (size_t)w;
        any = true;
    }
    if (any)
        unic_printf("%s", line);
}

int64_t stats_lookup(const char *const *names, const void *stats, size_t n, const char *name)
{
    const uint64_t *values = stats;
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int64_t)values[i];
    return -1;
}
