/*
 * The hosted sandbox (docs/sandbox.md): once the devices, the capture and the replay file are
 * open and the service has started, the process needs nothing more from the host than to read
 * and write the descriptors it holds, wait, tell the time and allocate memory. Before the first
 * frame is read (the first plat_wait()) it gives up everything else:
 *
 *   1. started as root: every capability from the bounding set, the supplementary groups, then
 *      root itself (--user NAME, default nobody; --user root keeps root, with a warning);
 *      any user: every capability left (a binary may carry file capabilities), ambient ones too;
 *   2. no_new_privs: nothing it could exec would gain privileges;
 *   3. a seccomp allowlist (libseccomp): the system calls below, some with their arguments
 *      checked; any other call raises SIGSYS, whose handler names the call on stderr and lets
 *      the signal kill the process (exit status 128 + 31).
 *
 * sandbox_prepare() runs before any device is opened: it resolves --user (getpwnam reads
 * /etc/passwd and NSS modules, which the sandbox will not allow later) and checks the options,
 * so a bad one is a status-2 line like any other option error. --no-sandbox skips all of it.
 *
 * The allowlist is built from what the loop was seen to call (strace -f of echo, dns, http and
 * kv under load, with --pcap, --replay, --stats-interval, SIGUSR1 and SIGTERM); to allow one
 * more call, add a line to sandbox_calls (or a rule with its arguments to sandbox_add_rules) and
 * give the reason in docs/sandbox.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/if_tun.h>
#include <seccomp.h>

#include "hosted.h"

#define SANDBOX_NAME_SLOTS 512 /* x86-64 system call numbers are below this */
#define SANDBOX_NAME_LEN 24

/* The calls allowed whatever their arguments (sandbox_add_rules has those whose arguments are
 * checked); why each is needed: docs/sandbox.md. */
static const int sandbox_calls[] = {
    /* the descriptors already open: TAP, epoll, libuv's signal pipe, capture, replay, stderr */
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(readv),
    SCMP_SYS(writev),
    SCMP_SYS(close),
    /* libuv's wait (epoll_ctl: a TAP watched for room to send, wait_watch_writable) */
    SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait),
    SCMP_SYS(epoll_ctl),
    /* the transmit ring (uring.c): set up and restricted to writes on the TAP before the
     * sandbox, so its submissions cannot reach past the filter */
    SCMP_SYS(io_uring_enter),
    /* time: the vDSO normally, a real call under valgrind or without a vDSO clock */
    SCMP_SYS(clock_gettime),
    SCMP_SYS(gettimeofday),
    /* random bytes: the core's generator reseeds from the platform */
    SCMP_SYS(getrandom),
    /* memory: malloc's heap and its large blocks */
    SCMP_SYS(brk),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(madvise),
    /* signals: libuv's handler (SIGINT, SIGTERM, SIGUSR1), the SIGSYS handler, abort() */
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(getpid),
    /* the end */
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
};

/* ASan/UBSan builds (the asan preset) only: LeakSanitizer, at exit, clones a tracer that
 * ptraces the process's threads and reads /proc/self/task and /proc/self/maps with the legacy
 * open/getdents; the runtime's locks yield and sleep on futexes; its signal handlers use an
 * alternate stack. An error report symbolizes in the process (gcc's libasan reads the binary:
 * openat, fcntl, newfstatat, readlink; ioctl TCGETS below, to decide on colours). Found with
 * SCMP_ACT_LOG runs of the asan build and a deliberate overflow (docs/sandbox.md). */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif
#ifdef SANDBOX_SANITIZER
static const int sandbox_sanitizer_calls[] = {
    SCMP_SYS(clone),   SCMP_SYS(wait4),  SCMP_SYS(ptrace),      SCMP_SYS(prctl),
    SCMP_SYS(getppid), SCMP_SYS(gettid), SCMP_SYS(sigaltstack), SCMP_SYS(sched_yield),
    SCMP_SYS(futex),   SCMP_SYS(open),   SCMP_SYS(lseek),       SCMP_SYS(getdents),
    SCMP_SYS(openat),  SCMP_SYS(fcntl),  SCMP_SYS(newfstatat),  SCMP_SYS(readlink),
};
#endif

/* Under valgrind the program's system calls and valgrind's own (its scheduler, its JIT, which
 * maps code) come from the same process, and valgrind does not know the seccomp call: a filter
 * would kill valgrind, so under valgrind the privileges go but no filter is loaded (said). */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define SANDBOX_UNDER_VALGRIND() RUNNING_ON_VALGRIND
#endif
#endif
#ifndef SANDBOX_UNDER_VALGRIND
#define SANDBOX_UNDER_VALGRIND() 0
#endif

static struct {
    bool enabled;     /* not --no-sandbox */
    bool entered;     /* sandbox_enter() has run */
    bool change_user; /* started as root: become (uid, gid) */
    bool keep_root;   /* --user root (or a user whose uid is 0) */
    uid_t uid;
    gid_t gid;
    char user[64];
    char prog[64];
    const char *selftest;
} sandbox;

/* The names of the calls, resolved before the filter is loaded: the SIGSYS handler may only
 * use async-signal-safe functions, and libseccomp's resolver allocates. */
static char sandbox_names[SANDBOX_NAME_SLOTS][SANDBOX_NAME_LEN];

static void sandbox_resolve_names(void)
{
    for (int nr = 0; nr < SANDBOX_NAME_SLOTS; nr++) {
        char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
        if (name) {
            snprintf(sandbox_names[nr], SANDBOX_NAME_LEN, "%s", name);
            free(name);
        }
    }
}

static size_t sandbox_append(char *buf, size_t at, size_t cap, const char *s)
{
    while (*s && at + 1 < cap)
        buf[at++] = *s++;
    buf[at] = 0;
    return at;
}

static size_t sandbox_append_uint(char *buf, size_t at, size_t cap, unsigned long v)
{
    char digits[24];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && n < sizeof(digits));
    while (n > 0 && at + 1 < cap)
        buf[at++] = digits[--n];
    buf[at] = 0;
    return at;
}

/* SIGSYS from the filter: name the call, then die of the signal. Only async-signal-safe calls
 * (write, sigaction, raise), all of them allowed by the filter. */
static void sandbox_on_sigsys(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    char line[256];
    unsigned nr = (unsigned)si->si_syscall;
    size_t n = sandbox_append(line, 0, sizeof(line), sandbox.prog);
    n = sandbox_append(line, n, sizeof(line), ": sandbox: forbidden system call ");
    if (si->si_arch == AUDIT_ARCH_X86_64 && nr < SANDBOX_NAME_SLOTS && sandbox_names[nr][0]) {
        n = sandbox_append(line, n, sizeof(line), sandbox_names[nr]);
        n = sandbox_append(line, n, sizeof(line), " (");
        n = sandbox_append_uint(line, n, sizeof(line), nr);
        n = sandbox_append(line, n, sizeof(line), ")");
    } else {
        n = sandbox_append_uint(line, n, sizeof(line), nr);
        n = sandbox_append(line, n, sizeof(line), " (not an x86-64 call)");
    }
    n = sandbox_append(line, n, sizeof(line),
                       "; stopped (docs/sandbox.md; --no-sandbox runs without it)\n");
    plat_console_write(line, n);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL);
    raise(sig); /* blocked while this handler runs: delivered, fatal, when it returns */
}

int sandbox_prepare(const struct unic_config *cfg, const char *prog, char *err, size_t errlen)
{
    memset(&sandbox, 0, sizeof(sandbox));
    snprintf(sandbox.prog, sizeof(sandbox.prog), "%s", prog);
    sandbox.selftest = cfg->sandbox_selftest;
    if (cfg->no_sandbox && (cfg->user || cfg->sandbox_selftest))
        return hosted_fail(err, errlen, "--no-sandbox cannot be used with %s",
                           cfg->user ? "--user" : "--sandbox-selftest");
    if (cfg->sandbox_selftest && strcmp(cfg->sandbox_selftest, "execve") &&
        strcmp(cfg->sandbox_selftest, "open") && strcmp(cfg->sandbox_selftest, "socket"))
        return hosted_fail(err, errlen, "--sandbox-selftest: '%s' is not execve, open or socket",
                           cfg->sandbox_selftest);
    if (cfg->no_sandbox)
        return 0;
    sandbox.enabled = true;
    const char *name = cfg->user ? cfg->user : "nobody";
    const struct passwd *pw = getpwnam(name);
    if (geteuid() != 0) {
        if (cfg->user && (!pw || pw->pw_uid != geteuid()))
            return hosted_fail(err, errlen,
                               "--user %s: only a process started as root can "
                               "change its user",
                               name);
        return 0;
    }
    if (!strcmp(name, "root") || (pw && pw->pw_uid == 0)) {
        sandbox.keep_root = true;
        return 0;
    }
    if (!pw && !cfg->user)
        return hosted_fail(err, errlen,
                           "no user 'nobody' to run as: give --user NAME "
                           "(or --user root to keep root)");
    if (!pw)
        return hosted_fail(err, errlen, "--user %s: no such user", name);
    sandbox.change_user = true;
    sandbox.uid = pw->pw_uid;
    sandbox.gid = pw->pw_gid;
    snprintf(sandbox.user, sizeof(sandbox.user), "%s", name);
    return 0;
}

/* Every capability in every set, ambient and effective, gone. */
static int sandbox_drop_caps(void)
{
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    memset(data, 0, sizeof(data));
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return -errno;
    return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

/* Root to (uid, gid): the bounding set first (dropping it needs CAP_SETPCAP), then the groups,
 * the group and the user. setresuid away from root clears the permitted set. */
static int sandbox_change_user(void)
{
    for (int cap = 0; cap <= 63; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            return -errno;
    if (setgroups(0, NULL) < 0 || setresgid(sandbox.gid, sandbox.gid, sandbox.gid) < 0 ||
        setresuid(sandbox.uid, sandbox.uid, sandbox.uid) < 0)
        return -errno;
    if (setresuid(0, 0, 0) == 0) /* must be impossible now */
        return -EPERM;
    return 0;
}

static int sandbox_drop_privileges(char *err, size_t errlen)
{
    int r;
    if (sandbox.change_user && (r = sandbox_change_user()) < 0)
        return hosted_fail(err, errlen, "cannot become user %s: %s", sandbox.user, strerror(-r));
    if (sandbox.keep_root)
        hosted_warn("sandbox: still root (--user root): a bug in the service would act as root");
    else if ((r = sandbox_drop_caps()) < 0)
        return hosted_fail(err, errlen, "cannot drop capabilities: %s", strerror(-r));
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return hosted_fail(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
    return 0;
}

/* The calls allowed with one argument checked: (arg) masked with (mask) must equal (value). */
struct sandbox_rule {
    int nr;
    unsigned arg;
    scmp_datum_t mask, value;
};

static int sandbox_add_rules(scmp_filter_ctx ctx)
{
    const struct sandbox_rule rules[] = {
        /* memory, never executable: a bug cannot map new code (W^X for the heap) */
        {SCMP_SYS(mmap), 2, PROT_EXEC, 0},
        {SCMP_SYS(mprotect), 2, PROT_EXEC, 0},
        /* tap_close() turns the TAP's offloads off again (a persistent TAP keeps them) */
        {SCMP_SYS(ioctl), 1, ~(scmp_datum_t)0, TUNSETOFFLOAD},
        /* abort() and the SIGSYS handler signal this process, and no other */
        {SCMP_SYS(tgkill), 0, ~(scmp_datum_t)0, (scmp_datum_t)getpid()},
#ifdef SANDBOX_SANITIZER
        {SCMP_SYS(ioctl), 1, ~(scmp_datum_t)0, TCGETS}, /* isatty(stderr) in a report */
#endif
    };
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        struct scmp_arg_cmp cmp = {.arg = rules[i].arg,
                                   .op = SCMP_CMP_MASKED_EQ,
                                   .datum_a = rules[i].mask,
                                   .datum_b = rules[i].value};
        int r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, rules[i].nr, 1, &cmp);
        if (r < 0)
            return r;
    }
    return 0;
}

static int sandbox_load_filter(char *err, size_t errlen)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
    if (!ctx)
        return hosted_fail(err, errlen, "seccomp_init failed");
    int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP);
    for (size_t i = 0; r == 0 && i < sizeof(sandbox_calls) / sizeof(sandbox_calls[0]); i++)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sandbox_calls[i], 0);
#ifdef SANDBOX_SANITIZER
    for (size_t i = 0; r == 0 && i < sizeof(sandbox_sanitizer_calls) / sizeof(int); i++)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sandbox_sanitizer_calls[i], 0);
#endif
    if (r == 0)
        r = sandbox_add_rules(ctx);
    if (r == 0)
        r = seccomp_load(ctx);
    seccomp_release(ctx);
    if (r < 0)
        return hosted_fail(err, errlen, "cannot load the seccomp filter: %s", strerror(-r));
    return 0;
}

static int sandbox_catch_sigsys(char *err, size_t errlen)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = sandbox_on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) < 0)
        return hosted_fail(err, errlen, "cannot catch SIGSYS: %s", strerror(errno));
    return 0;
}

/* --sandbox-selftest: a call the sandbox must stop; surviving it is a failure (status 1). */
static void sandbox_selftest(void)
{
    if (!strcmp(sandbox.selftest, "execve")) {
        char *const argv[] = {"/bin/sh", "-c", "echo sandbox escaped", NULL};
        execve(argv[0], argv, NULL);
    } else if (!strcmp(sandbox.selftest, "open")) {
        int fd = open("/etc/passwd", O_RDONLY);
        if (fd >= 0)
            close(fd);
    } else {
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        if (fd >= 0)
            close(fd);
    }
    hosted_warn("sandbox: --sandbox-selftest %s was not stopped", sandbox.selftest);
    plat_exit(1);
}

void sandbox_enter(void)
{
    char err[256];
    if (!sandbox.enabled || sandbox.entered)
        return;
    sandbox.entered = true;
    sandbox_resolve_names();
    bool filter = !SANDBOX_UNDER_VALGRIND();
    if (!filter)
        hosted_warn("sandbox: under valgrind: privileges dropped, no seccomp filter (valgrind's "
                    "own system calls would be stopped by it)");
    if (sandbox_drop_privileges(err, sizeof(err)) < 0 ||
        (filter && (sandbox_catch_sigsys(err, sizeof(err)) < 0 ||
                    sandbox_load_filter(err, sizeof(err)) < 0))) {
        hosted_warn("sandbox: %s (--no-sandbox runs without it)", err);
        plat_exit(1);
    }
    if (sandbox.selftest && filter)
        sandbox_selftest();
}
