/*
 * The kernel command line, split in two before the service sees it: the platform's own words
 * (virtio_mmio.device=..., unic.crash=...) and the rest, the hosted command line. A platform
 * word is a whole word outside quotes: the words are found with config_split's rules (blanks
 * separate them unless quoted, a quote runs to the same quote character), so a quoted service
 * argument that contains "unic.crash=nx" or runs of spaces reaches the service as it was
 * written. No kvm dependencies: tests/unit/test_kvm_cmdline.c runs it on the host.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "kvm.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* The length of the word at (p) (which is not blank) and whether it holds a quote. */
static size_t word_length(const char *p, bool *quoted)
{
    char quote = 0;
    size_t n = 0;
    *quoted = false;
    for (; p[n] && (quote || !is_blank(p[n])); n++) {
        if (quote && p[n] == quote)
            quote = 0;
        else if (!quote && (p[n] == '"' || p[n] == '\'')) {
            quote = p[n];
            *quoted = true;
        }
    }
    return n;
}

static void append(char *out, size_t *len, const char *w, size_t n)
{
    if (*len)
        out[(*len)++] = ' ';
    memcpy(out + *len, w, n);
    *len += n;
    out[*len] = '\0';
}

void cmdline_split_platform(const char *raw, bool (*platform)(const char *word, size_t n),
                            char *service, char *words)
{
    size_t slen = 0, wlen = 0;
    service[0] = words[0] = '\0';
    for (const char *p = raw; *p;) {
        while (is_blank(*p))
            p++;
        if (!*p)
            break;
        bool quoted;
        size_t n = word_length(p, &quoted);
        if (!quoted && platform(p, n))
            append(words, &wlen, p, n);
        else
            append(service, &slen, p, n);
        p += n;
    }
}
