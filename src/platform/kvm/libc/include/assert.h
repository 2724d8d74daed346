/* The kvm libc subset: assert.h. A failed assertion prints where and exits through abort(). */
#ifndef KVM_LIBC_ASSERT_H
#define KVM_LIBC_ASSERT_H

void libc_assert_fail(const char *expr, const char *file, int line);

#ifdef NDEBUG
#define assert(x) ((void)0)
#else
#define assert(x) ((x) ? (void)0 : libc_assert_fail(#x, __FILE__, __LINE__))
#endif
#define static_assert _Static_assert

#endif
