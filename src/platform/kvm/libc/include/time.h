/* The kvm libc subset: time.h, the C11 wall-clock calls (see ../time.c). No time zones, no
 * broken-down time: a service that needs them formats from the seconds itself. */
#ifndef KVM_LIBC_TIME_H
#define KVM_LIBC_TIME_H

typedef long time_t; /* seconds since the Unix epoch, as glibc on x86-64 */

struct timespec {
    time_t tv_sec;
    long tv_nsec;
};

#define TIME_UTC 1

/* Seconds since the Unix epoch (also stored in (*t) when t is not NULL). */
time_t time(time_t *t);

/* (*ts) = the wall-clock time; returns (base), or 0 when base is not TIME_UTC. */
int timespec_get(struct timespec *ts, int base);

#endif
