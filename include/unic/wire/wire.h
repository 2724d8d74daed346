/*
 * Wire code: pure parse/emit of each protocol header on byte spans. No state, no allocation.
 * A parser takes (const uint8_t *, size_t), checks the length before reading any field, and
 * fills a plain struct or returns one of the negative WIRE_E* reasons below (each caller counts
 * each reason separately). An emitter writes into a buffer it is given and returns the bytes
 * written, or a negative WIRE_E* when the buffer is too small.
 */
#ifndef UNIC_WIRE_WIRE_H
#define UNIC_WIRE_WIRE_H

#include <stddef.h>
#include <stdint.h>

enum wire_error {
    WIRE_OK = 0,
    WIRE_ETRUNCATED = -1,   /* shorter than its header or its own length field */
    WIRE_EVERSION = -2,     /* wrong version / hardware / protocol type         */
    WIRE_ELENGTH = -3,      /* a length field is inconsistent                   */
    WIRE_ECHECKSUM = -4,    /* checksum does not verify                         */
    WIRE_EOPTION = -5,      /* malformed option                                 */
    WIRE_EUNSUPPORTED = -6, /* well formed but not something we handle          */
    WIRE_ENOSPACE = -7,     /* emitter: output buffer too small                 */
    WIRE_EMALFORMED = -8,   /* any other malformation                           */
};

#endif
