/*
 * Declared options: a program states what it accepts in a table, and one parser checks the
 * words of a command line against it, fills in the defaults and writes the --help lines.
 *
 * A unic service declares its table in its `unic_service` descriptor (unic.h); the OS parses
 * it together with its own options before any device is opened, so a bad service option ends
 * the program with one line and status 2 on both platforms. The parser is plain string
 * handling (no platform calls), so a Linux program can use it too (examples/dns/main_linux.c).
 *
 *   static const struct option_spec http_options[] = {
 *       {"--port", OPTION_UINT, "N", "80", 1, 65535, "TCP port"},
 *       {"--verbose-log", OPTION_FLAG, NULL, NULL, 0, 0, "log every request"},
 *   };
 *   ... options_uint(opts, "--port") ...
 *
 * Syntax: "--name value" or "--name=value" for options with a value, "--name" for a flag, any
 * other word is an operand; after a lone "--" every word is an operand. The last occurrence of
 * an option wins.
 */
#ifndef UNIC_OPTIONS_H
#define UNIC_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OPTIONS_MAX 32          /* entries of one table */
#define OPTIONS_MAX_OPERANDS 32 /* words that are not options */

enum option_type {
    OPTION_FLAG,   /* no value: given or not */
    OPTION_STRING, /* any value */
    OPTION_UINT,   /* a decimal number in [min, max] */
};

struct option_spec {
    const char *name; /* with its dashes: "--port"                                  */
    enum option_type type;
    const char *value; /* the value's name in --help ("N", "FILE"); NULL for a flag   */
    const char *def;   /* the default, as it would be typed; NULL: none (a string option
                        * then reads NULL, a number 0, unless given)                  */
    uint64_t min, max; /* OPTION_UINT: the accepted range, inclusive                  */
    const char *help;  /* one line for --help                                         */
};

struct option_value {
    const char *text; /* the value as given (or the default); NULL for none */
    uint64_t number;  /* OPTION_UINT: the parsed value; OPTION_FLAG: 1 when given */
    bool given;       /* on the command line (not just the default) */
};

/* The result of options_parse. Its strings point into the parsed argv and the table. */
struct option_set {
    const struct option_spec *specs;
    size_t count;
    struct option_value values[OPTIONS_MAX];
    int operand_count;
    char *operands[OPTIONS_MAX_OPERANDS + 1]; /* NULL-terminated */
};

/* Parse the (argc) words of (argv) (no program name) against (specs)[0..count), accepting at
 * most (max_operands) operands. Returns 0, or -EINVAL with one line in (err): an unknown
 * option, a missing or bad value, a flag given a value, an operand too many, or a table that
 * is itself wrong (bad name, bad default, min > max, too many entries). */
int options_parse(struct option_set *o, const struct option_spec *specs, size_t count,
                  unsigned max_operands, int argc, char **argv, char *err, size_t errlen);

/* The value of option (name), which must be in the table (else abort(): a programming error).
 * options_flag: given; options_string: the text or NULL; options_uint: the number or 0;
 * options_given: on the command line, not just defaulted. */
bool options_flag(const struct option_set *o, const char *name);
const char *options_string(const struct option_set *o, const char *name);
uint64_t options_uint(const struct option_set *o, const char *name);
bool options_given(const struct option_set *o, const char *name);

/* The --help lines of (specs), "  --port N   TCP port (1..65535, default 80)\n" each, into
 * (buf) (always terminated, truncated to fit). Returns the length it needed. */
size_t options_help(const struct option_spec *specs, size_t count, char *buf, size_t len);

#endif
