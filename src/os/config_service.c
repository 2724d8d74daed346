/*
 * The service's half of the command line: its words (after `--`, collected by config_parse)
 * checked against the options it declared in its unic_service descriptor (unic.h), and the
 * --help text of both halves. Shared by both platforms, so a bad option reads the same on each.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "unic.h"
#include "unic/config.h"

static const struct unic_service config_no_service; /* no options, no operands */

static const struct unic_service *config_service(void)
{
    return &unic_service ? &unic_service : &config_no_service;
}

/* "--help" / "-h" among the service's words, unless the service declared them itself. */
static bool config_wants_help(const struct unic_service *svc, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            return false;
        bool help = !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h");
        bool declared = false;
        for (size_t k = 0; k < svc->option_count; k++)
            declared |= !strcmp(svc->options[k].name, argv[i]);
        if (help && !declared)
            return true;
    }
    return false;
}

int config_parse_service(struct unic_config *cfg, char *err, size_t errlen)
{
    const struct unic_service *svc = config_service();
    if (config_wants_help(svc, cfg->service_argc, cfg->service_argv)) {
        cfg->help = true;
        return 0;
    }
    int r = options_parse(&cfg->service, svc->options, svc->option_count, svc->max_operands,
                          cfg->service_argc - 1, cfg->service_argv + 1, err, errlen);
    if (r < 0)
        return r;
    if ((unsigned)cfg->service.operand_count < svc->min_operands) {
        snprintf(err, errlen, "needs at least %u argument%s (%s; try --help)", svc->min_operands,
                 svc->min_operands == 1 ? "" : "s", svc->operands ? svc->operands : "operands");
        return -EINVAL;
    }
    /* service_start() gets the program name and the operands. */
    cfg->service_argc = 1;
    for (int i = 0; i < cfg->service.operand_count; i++)
        cfg->service_argv[cfg->service_argc++] = cfg->service.operands[i];
    cfg->service_argv[cfg->service_argc] = NULL;
    return 0;
}

size_t config_help(const char *name, char *buf, size_t len)
{
    const struct unic_service *svc = config_service();
    const char *usage = config_usage();
    const char *rest = strchr(usage, '\n'); /* the first line names NAME: put the real one */
    int n =
        snprintf(buf, len, "usage: %s [options] [-- service options%s%s]%s", name,
                 svc->operands ? " " : "", svc->operands ? svc->operands : "", rest ? rest : "\n");
    size_t used = n > 0 ? (size_t)n : 0;
    n = snprintf(used < len ? buf + used : NULL, used < len ? len - used : 0,
                 "service options (%s%s%s):\n", name, svc->summary ? ": " : "",
                 svc->summary ? svc->summary : "");
    used += n > 0 ? (size_t)n : 0;
    if (svc->option_count == 0 && !svc->operands) {
        n = snprintf(used < len ? buf + used : NULL, used < len ? len - used : 0, "  none\n");
        return used + (n > 0 ? (size_t)n : 0);
    }
    used += options_help(svc->options, svc->option_count, used < len ? buf + used : NULL,
                         used < len ? len - used : 0);
    if (svc->operands) {
        n = snprintf(used < len ? buf + used : NULL, used < len ? len - used : 0,
                     "  %-18s up to %u arguments\n", svc->operands, svc->max_operands);
        used += n > 0 ? (size_t)n : 0;
    }
    return used;
}
