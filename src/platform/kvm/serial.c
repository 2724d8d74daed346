/*
 * The console: COM1 (I/O port 0x3f8), 115200 8N1, polled. Output only; writes wait for the
 * transmit holding register, which QEMU empties at once, so this never blocks for long.
 */
#include <stdarg.h>
#include <stdio.h>

#include "cpu.h"
#include "kvm.h"
#include "unic/platform.h"

#define COM1 0x3f8
#define LSR_THR_EMPTY 0x20
#define SERIAL_SPIN_LIMIT 100000

void serial_init(void)
{
    outb(COM1 + 1, 0x00); /* no interrupts */
    outb(COM1 + 3, 0x80); /* DLAB on */
    outb(COM1 + 0, 0x01); /* divisor 1: 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8N1, DLAB off */
    outb(COM1 + 2, 0xc7); /* FIFO on, cleared */
    outb(COM1 + 4, 0x03); /* DTR + RTS */
}

static void serial_putc(char c)
{
    /* Bounded: a missing UART (isa-serial=off) reads 0xff and must not hang the kernel. */
    for (int i = 0; i < SERIAL_SPIN_LIMIT && !(inb(COM1 + 5) & LSR_THR_EMPTY); i++)
        cpu_pause();
    outb(COM1, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            serial_putc('\r');
        serial_putc(s[i]);
    }
}

void kprintf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    serial_write(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

void plat_console_write(const char *s, size_t n)
{
    serial_write(s, n);
}
