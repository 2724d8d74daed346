/* Names of the wire parsers' error reasons, for logs. */
#include "unic/wire/wire.h"

const char *wire_strerror(int err)
{
    switch (err) {
    case WIRE_OK:
        return "ok";
    case WIRE_ETRUNCATED:
        return "truncated";
    case WIRE_EVERSION:
        return "bad version";
    case WIRE_ELENGTH:
        return "bad length";
    case WIRE_ECHECKSUM:
        return "bad checksum";
    case WIRE_EOPTION:
        return "bad option";
    case WIRE_EUNSUPPORTED:
        return "unsupported";
    case WIRE_ENOSPACE:
        return "no space";
    default:
        return "malformed";
    }
}
