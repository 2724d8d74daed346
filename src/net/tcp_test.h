/*
 * TCP test hooks: calls the unit tests and fuzzers make to pin what is otherwise random. Not
 * part of the public API (a service cannot reach them: include/unic/tcp.h does not declare them).
 */
#ifndef UNIC_TCP_TEST_H
#define UNIC_TCP_TEST_H

#include <stdint.h>

struct inet;

/* The ISN of the next connection this stack opens or accepts is (isn) (one shot). */
void tcp_test_force_isn(struct inet *inet, uint32_t isn);
/* The next tcp_connect() on this stack uses local port (port) (one shot; for simultaneous open
 * and TIME_WAIT reuse tests). */
void tcp_test_force_port(struct inet *inet, uint16_t port);

#endif
