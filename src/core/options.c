/*
 * Declared options (see include/unic/options.h): one parser for every table, the defaults
 * filled in first so a table with a bad default fails at once, in every run.
 */
#include "unic/options.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPTIONS_HELP_COLUMN 21 /* where the help text starts, as in the OS's own usage */

static int options_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int options_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* A decimal number without sign or spaces, no overflow. */
static int options_parse_number(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return -EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -EINVAL;
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -EINVAL;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* The index of the entry named (name) (the first (n) characters), or -1. */
static int options_find(const struct option_spec *specs, size_t count, const char *name, size_t n)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(specs[i].name) == n && !memcmp(specs[i].name, name, n))
            return (int)i;
    return -1;
}

static int options_set(struct option_set *o, size_t i, const char *text, char *err, size_t errlen)
{
    const struct option_spec *s = &o->specs[i];
    struct option_value *v = &o->values[i];
    if (s->type == OPTION_UINT) {
        uint64_t n;
        if (options_parse_number(text, &n) < 0 || n < s->min || n > s->max)
            return options_fail(err, errlen, "%s: '%s' is not a number in %llu..%llu", s->name,
                                text, (unsigned long long)s->min, (unsigned long long)s->max);
        v->number = n;
    }
    v->text = text;
    return 0;
}

static int options_check_table(struct option_set *o, char *err, size_t errlen)
{
    if (o->count > OPTIONS_MAX)
        return options_fail(err, errlen, "option table: %zu entries, at most %d", o->count,
                            OPTIONS_MAX);
    for (size_t i = 0; i < o->count; i++) {
        const struct option_spec *s = &o->specs[i];
        if (!s->name || strncmp(s->name, "--", 2) || !s->name[2] || strchr(s->name, '='))
            return options_fail(err, errlen, "option table: entry %zu has a bad name", i);
        if (s->type == OPTION_UINT && s->min > s->max)
            return options_fail(err, errlen, "option table: %s has min > max", s->name);
        if (s->type == OPTION_FLAG && s->def)
            return options_fail(err, errlen, "option table: flag %s has a default", s->name);
        if (s->def && options_set(o, i, s->def, err, errlen) < 0)
            return options_fail(err, errlen, "option table: %s has a bad default '%s'", s->name,
                                s->def);
    }
    return 0;
}

static int options_add_operand(struct option_set *o, unsigned max_operands, char *word, char *err,
                               size_t errlen)
{
    if ((unsigned)o->operand_count >= max_operands || o->operand_count >= OPTIONS_MAX_OPERANDS) {
        if (max_operands == 0)
            return options_fail(err, errlen, "unexpected argument '%s' (try --help)", word);
        return options_fail(err, errlen, "too many arguments at '%s' (at most %u)", word,
                            max_operands);
    }
    o->operands[o->operand_count++] = word;
    o->operands[o->operand_count] = NULL;
    return 0;
}

/* One option word at argv[*i] (and its value); advances *i past what it used. */
static int options_take(struct option_set *o, int argc, char **argv, int *i, char *err,
                        size_t errlen)
{
    const char *word = argv[*i];
    const char *eq = strchr(word, '=');
    size_t n = eq ? (size_t)(eq - word) : strlen(word);
    int k = options_find(o->specs, o->count, word, n);
    if (k < 0)
        return options_fail(err, errlen, "unknown option '%.*s' (try --help)", (int)n, word);
    const struct option_spec *s = &o->specs[k];
    o->values[k].given = true;
    if (s->type == OPTION_FLAG) {
        if (eq)
            return options_fail(err, errlen, "%s takes no value", s->name);
        o->values[k].number = 1;
        return 0;
    }
    if (eq)
        return options_set(o, (size_t)k, eq + 1, err, errlen);
    if (*i + 1 >= argc)
        return options_fail(err, errlen, "%s needs a value (%s)", s->name,
                            s->value ? s->value : "a value");
    (*i)++;
    return options_set(o, (size_t)k, argv[*i], err, errlen);
}

int options_parse(struct option_set *o, const struct option_spec *specs, size_t count,
                  unsigned max_operands, int argc, char **argv, char *err, size_t errlen)
{
    memset(o, 0, sizeof(*o));
    o->specs = specs;
    o->count = count;
    int r = options_check_table(o, err, errlen);
    if (r < 0)
        return r;
    bool only_operands = false;
    for (int i = 0; i < argc; i++) {
        char *word = argv[i];
        if (!only_operands && !strcmp(word, "--"))
            only_operands = true;
        else if (!only_operands && word[0] == '-' && word[1])
            r = options_take(o, argc, argv, &i, err, errlen);
        else
            r = options_add_operand(o, max_operands, word, err, errlen);
        if (r < 0)
            return r;
    }
    return 0;
}

static const struct option_value *options_value(const struct option_set *o, const char *name)
{
    int k = options_find(o->specs, o->count, name, strlen(name));
    if (k < 0)
        abort(); /* a name the program did not declare: a programming error */
    return &o->values[k];
}

bool options_flag(const struct option_set *o, const char *name)
{
    return options_value(o, name)->given;
}

const char *options_string(const struct option_set *o, const char *name)
{
    return options_value(o, name)->text;
}

uint64_t options_uint(const struct option_set *o, const char *name)
{
    return options_value(o, name)->number;
}

bool options_given(const struct option_set *o, const char *name)
{
    return options_value(o, name)->given;
}

/* Append to (buf) at (*used), as snprintf does, counting what did not fit. */
static void options_append(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void options_append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(*used < len ? buf + *used : NULL, *used < len ? len - *used : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        *used += (size_t)n;
}

size_t options_help(const struct option_spec *specs, size_t count, char *buf, size_t len)
{
    size_t used = 0;
    if (len)
        buf[0] = 0;
    for (size_t i = 0; i < count; i++) {
        const struct option_spec *s = &specs[i];
        char head[64];
        snprintf(head, sizeof(head), "%s%s%s", s->name, s->value ? " " : "",
                 s->value ? s->value : "");
        options_append(buf, len, &used, "  %-*s %s", OPTIONS_HELP_COLUMN - 3, head,
                       s->help ? s->help : "");
        if (s->type == OPTION_UINT && s->def)
            options_append(buf, len, &used, " (%llu..%llu, default %s)", (unsigned long long)s->min,
                           (unsigned long long)s->max, s->def);
        else if (s->type == OPTION_UINT)
            options_append(buf, len, &used, " (%llu..%llu)", (unsigned long long)s->min,
                           (unsigned long long)s->max);
        else if (s->def)
            options_append(buf, len, &used, " (default %s)", s->def);
        options_append(buf, len, &used, "\n");
    }
    return used;
}
