/*
 * The entry point of a hosted service:
 *   main -> config_parse + config_parse_service (the OS's and the service's options, before any
 *        device opens) -> sandbox_prepare (--user) -> nic_open_all (TAP or replay, --pcap)
 *        -> wait_init -> unic_main (its first plat_wait enters the sandbox: sandbox.c)
 *        -> plat_exit (flushes the capture)
 * Bad options (the OS's or the service's): "NAME: message" on stderr, exit status 2, as on kvm.
 * A device that cannot be opened: the same one line, exit status 1. --help: the OS's options
 * and the service's on stdout, status 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hosted.h"
#include "unic.h"

static char *main_cmdline;

const char *plat_cmdline(void)
{
    return main_cmdline ? main_cmdline : "";
}

static void main_join_argv(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    main_cmdline = malloc(len);
    if (!main_cmdline)
        return;
    char *p = main_cmdline;
    for (int i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (i > 0)
            *p++ = ' ';
        memcpy(p, argv[i], n);
        p += n;
    }
    *p = 0;
}

void plat_print_stats(void)
{
    nic_print_stats();
    heap_print_stats();
}

static const char *main_program_name(int argc, char **argv)
{
    if (argc < 1 || !argv[0] || !argv[0][0])
        return "unic";
    const char *slash = strrchr(argv[0], '/');
    return slash ? slash + 1 : argv[0];
}

int main(int argc, char **argv)
{
    const char *name = main_program_name(argc, argv);
    static struct unic_config cfg;
    char err[256] = "";
    int status;

    main_join_argv(argc, argv);
    if (config_parse(&cfg, argc, argv, err, sizeof(err)) < 0 ||
        (!cfg.help && config_parse_service(&cfg, err, sizeof(err)) < 0)) {
        fprintf(stderr, "%s: %s\n", name, err);
        return 2;
    }
    if (cfg.help) {
        static char help[8192];
        config_help(name, help, sizeof(help));
        fputs(help, stdout);
        return 0;
    }
    if (sandbox_prepare(&cfg, name, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", name, err);
        return 2;
    }
    if (nic_open_all(&cfg, err, sizeof(err), &status) < 0) {
        fprintf(stderr, "%s: %s\n", name, err);
        return status;
    }
    if (wait_init(err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", name, err);
        plat_exit(1);
    }
    status = unic_main(&cfg);
    nic_print_stats();
    if (status == 0 && nic_any_failed())
        status = 1;
    plat_exit(status);
}
