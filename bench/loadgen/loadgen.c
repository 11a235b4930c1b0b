// loadgen: closed-loop TCP echo load generator (epoll, level-triggered).
//
//   loadgen -h 127.0.0.1 -p PORT -c CONNS -d SECONDS [-w WARMUP_SECONDS] [-s 64] [-t THREADS] [-T CONNECT_TIMEOUT_MS]
//
// Each of CONNS connections sends an S-byte message, waits until the whole echo is back (and checks it),
// then sends the next one. Connections are spread over THREADS threads (default 1), each with its own epoll.
// After all connections are up, WARMUP seconds run unmeasured, then exactly SECONDS are measured: round trips
// completed in the window, their latency (send of the first byte -> receipt of the last byte of the echo), and
// the load generator's own CPU time (getrusage(RUSAGE_SELF) over the window).
// Output: one line on stdout,
//   rps=... p50_us=... p99_us=... conns=... errors=... cpu_user_s=... cpu_sys_s=... cpu_pct=... roundtrips=... ...
// cpu_pct is percent of ONE core (100 = one core busy for the whole window). roundtrips counts the measured window,
// roundtrips_total everything since the connections were made (warm-up included); conn_rt_min/conn_rt_max are the
// fewest/most round trips one connection completed in the window (fairness of the server).
// Errors (failed/timed-out connects, resets, early close, a wrong echo) are counted, the connection is dropped;
// nothing blocks without a timeout. Diagnostics go to stderr. Exit status: 0 if every connection stayed up and
// at least one round trip was measured, 1 otherwise, 2 on bad arguments.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

// latency histogram: 1 us buckets below FINE_LIMIT, then 1 ms buckets up to COARSE_LIMIT_MS, then one overflow bucket
#define FINE_LIMIT 100000u     // 100 ms
#define COARSE_LIMIT_MS 60000u // 60 s
#define NBUCKETS (FINE_LIMIT + COARSE_LIMIT_MS + 1)

enum { PHASE_WARMUP = 0, PHASE_MEASURE = 1, PHASE_DONE = 2 };

typedef struct {
    int fd;
    int alive;
    size_t sent;     // bytes of the current message sent
    size_t received; // bytes of the current echo received
    uint64_t t_send; // ns timestamp of the current message
    uint32_t seq;
    int want_out;    // EPOLLOUT registered
    uint64_t rt_measured; // round trips of this connection in the measured window (fairness)
} conn_t;

typedef struct {
    int id;
    int nconns;
    conn_t *conns;
    int ep;
    pthread_t th;
    uint64_t *hist;   // NBUCKETS
    uint64_t rt_measured;
    uint64_t rt_total;
    uint64_t errors;
    uint64_t lat_sum_ns;
    uint64_t lat_max_ns;
    int connect_errors;
} worker_t;

static const char *g_host = "127.0.0.1";
static int g_port = 0;
static int g_conns = 100;
static double g_duration = 5;
static double g_warmup = 1;
static size_t g_size = 64;
static int g_threads = 1;
static int g_connect_timeout_ms = 5000;
static struct sockaddr_in g_addr;
static _Atomic int g_phase = PHASE_WARMUP;
static _Atomic int g_stop_requested = 0;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void usage(void) {
    fprintf(stderr,
            "usage: loadgen -h HOST -p PORT -c CONNS -d SECONDS [-w WARMUP_SECONDS] [-s SIZE] [-t THREADS] "
            "[-T CONNECT_TIMEOUT_MS]\n");
    exit(2);
}

static void fill_message(char *buf, size_t n, uint32_t conn, uint32_t seq) {
    // deterministic, position-dependent content so a misplaced or stale echo is detected
    uint32_t x = conn * 2654435761u ^ seq * 40503u ^ 0x9e3779b9u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        buf[i] = (char)(x & 0xff);
    }
}

static void record(worker_t *w, uint64_t lat_ns) {
    uint64_t us = lat_ns / 1000;
    size_t b;
    if (us < FINE_LIMIT) b = (size_t)us;
    else if (us / 1000 < COARSE_LIMIT_MS) b = FINE_LIMIT + (size_t)(us / 1000);
    else b = NBUCKETS - 1;
    w->hist[b]++;
    w->lat_sum_ns += lat_ns;
    if (lat_ns > w->lat_max_ns) w->lat_max_ns = lat_ns;
}

static double bucket_us(size_t b) {
    if (b < FINE_LIMIT) return (double)b;
    if (b < NBUCKETS - 1) return (double)(b - FINE_LIMIT) * 1000.0;
    return (double)COARSE_LIMIT_MS * 1000.0;
}

static void conn_fail(worker_t *w, conn_t *c, const char *what, int err) {
    if (!c->alive) return;
    c->alive = 0;
    w->errors++;
    if (w->errors <= 5)
        fprintf(stderr, "loadgen: connection %d: %s%s%s\n", (int)(c - w->conns), what, err ? ": " : "",
                err ? strerror(err) : "");
    epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
}

// Try to send the rest of the current message. Returns 0 ok (maybe partial, EPOLLOUT armed), -1 on error.
static int do_send(worker_t *w, conn_t *c, const char *msg) {
    while (c->sent < g_size) {
        ssize_t n = send(c->fd, msg + c->sent, g_size - c->sent, MSG_NOSIGNAL);
        if (n > 0) { c->sent += (size_t)n; continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!c->want_out) {
                struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
                epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
                c->want_out = 1;
            }
            return 0;
        }
        conn_fail(w, c, "send", n < 0 ? errno : 0);
        return -1;
    }
    if (c->want_out) {
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_out = 0;
    }
    return 0;
}

static void start_message(worker_t *w, conn_t *c, char *msg) {
    c->seq++;
    fill_message(msg, g_size, (uint32_t)(c - w->conns) + (uint32_t)w->id * 1000003u, c->seq);
    c->sent = 0;
    c->received = 0;
    c->t_send = now_ns();
    do_send(w, c, msg);
}

// Non-blocking connects of all of this worker's connections, bounded by g_connect_timeout_ms overall.
static void connect_all(worker_t *w) {
    int pending = 0;
    for (int i = 0; i < w->nconns; i++) {
        conn_t *c = &w->conns[i];
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0) { w->connect_errors++; w->errors++; fprintf(stderr, "loadgen: socket: %s\n", strerror(errno)); continue; }
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        int r = connect(c->fd, (struct sockaddr *)&g_addr, sizeof g_addr);
        if (r < 0 && errno != EINPROGRESS) {
            if (w->connect_errors++ < 5) fprintf(stderr, "loadgen: connect: %s\n", strerror(errno));
            w->errors++;
            close(c->fd); c->fd = -1;
            continue;
        }
        struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
        epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev);
        pending++;
    }
    uint64_t deadline = now_ns() + (uint64_t)g_connect_timeout_ms * 1000000ull;
    struct epoll_event evs[1024];
    while (pending > 0) {
        uint64_t t = now_ns();
        if (t >= deadline || atomic_load(&g_stop_requested)) break;
        int ms = (int)((deadline - t) / 1000000ull) + 1;
        int n = epoll_wait(w->ep, evs, 1024, ms);
        if (n < 0) { if (errno == EINTR) continue; perror("loadgen: epoll_wait"); break; }
        for (int i = 0; i < n; i++) {
            conn_t *c = evs[i].data.ptr;
            if (c->alive) continue;
            int err = 0; socklen_t len = sizeof err;
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
            pending--;
            if (err) {
                if (w->connect_errors++ < 5) fprintf(stderr, "loadgen: connect: %s\n", strerror(err));
                w->errors++;
                epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd); c->fd = -1;
                continue;
            }
            c->alive = 1;
            struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
            epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
        }
    }
    if (pending > 0) {
        fprintf(stderr, "loadgen: thread %d: %d connects timed out after %d ms\n", w->id, pending, g_connect_timeout_ms);
        for (int i = 0; i < w->nconns; i++) {
            conn_t *c = &w->conns[i];
            if (!c->alive && c->fd >= 0) {
                epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd); c->fd = -1;
                w->connect_errors++; w->errors++;
            }
        }
    }
}

static pthread_barrier_t g_connected;

static void *worker_main(void *arg) {
    worker_t *w = arg;
    char *msgs = malloc(g_size * (size_t)(w->nconns ? w->nconns : 1)); // current message per connection
    char *rbuf = malloc(g_size > 65536 ? g_size : 65536);
    if (!msgs || !rbuf) { perror("malloc"); exit(1); }
    connect_all(w);
    pthread_barrier_wait(&g_connected);   // all threads connected before the clock starts
    for (int i = 0; i < w->nconns; i++)
        if (w->conns[i].alive) start_message(w, &w->conns[i], msgs + (size_t)i * g_size);

    struct epoll_event evs[1024];
    for (;;) {
        int phase = atomic_load_explicit(&g_phase, memory_order_relaxed);
        if (phase == PHASE_DONE) break;
        int n = epoll_wait(w->ep, evs, 1024, 50);   // bounded: re-check the phase at least every 50 ms
        if (n < 0) { if (errno == EINTR) continue; perror("loadgen: epoll_wait"); break; }
        phase = atomic_load_explicit(&g_phase, memory_order_relaxed);
        if (phase == PHASE_DONE) break;
        for (int i = 0; i < n; i++) {
            conn_t *c = evs[i].data.ptr;
            if (!c->alive) continue;
            size_t idx = (size_t)(c - w->conns);
            char *msg = msgs + idx * g_size;
            if (evs[i].events & EPOLLOUT) {
                if (do_send(w, c, msg) < 0) continue;
            }
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                size_t want = g_size - c->received;
                ssize_t r = recv(c->fd, rbuf, want, 0);
                if (r < 0) {
                    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
                    conn_fail(w, c, "recv", errno);
                    continue;
                }
                if (r == 0) { conn_fail(w, c, "server closed the connection", 0); continue; }
                if (c->received + (size_t)r > c->sent) {
                    conn_fail(w, c, "received bytes that were not sent", 0);
                    continue;
                }
                if (memcmp(rbuf, msg + c->received, (size_t)r) != 0) {
                    conn_fail(w, c, "echo does not match the message", 0);
                    continue;
                }
                c->received += (size_t)r;
                if (c->received == g_size) {
                    uint64_t t = now_ns();
                    w->rt_total++;
                    if (phase == PHASE_MEASURE) {
                        w->rt_measured++;
                        c->rt_measured++;
                        record(w, t - c->t_send);
                    }
                    start_message(w, c, msg);
                }
            }
        }
    }
    free(msgs);
    free(rbuf);
    return NULL;
}

static void on_signal(int sig) { (void)sig; atomic_store(&g_stop_requested, 1); }

static double tv_s(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

static void sleep_until(uint64_t deadline) {
    for (;;) {
        uint64_t t = now_ns();
        if (t >= deadline || atomic_load(&g_stop_requested)) return;
        uint64_t left = deadline - t;
        if (left > 100000000ull) left = 100000000ull;
        struct timespec ts = { .tv_sec = (time_t)(left / 1000000000ull), .tv_nsec = (long)(left % 1000000000ull) };
        nanosleep(&ts, NULL);
    }
}

int main(int argc, char **argv) {
    int opt;
    while ((opt = getopt(argc, argv, "h:p:c:d:w:s:t:T:")) != -1) {
        switch (opt) {
        case 'h': g_host = optarg; break;
        case 'p': g_port = atoi(optarg); break;
        case 'c': g_conns = atoi(optarg); break;
        case 'd': g_duration = atof(optarg); break;
        case 'w': g_warmup = atof(optarg); break;
        case 's': g_size = (size_t)atol(optarg); break;
        case 't': g_threads = atoi(optarg); break;
        case 'T': g_connect_timeout_ms = atoi(optarg); break;
        default: usage();
        }
    }
    if (g_port <= 0 || g_port > 65535 || g_conns <= 0 || g_duration <= 0 || g_warmup < 0 || g_size == 0 ||
        g_size > (1u << 20) || g_threads <= 0 || g_connect_timeout_ms <= 0)
        usage();
    if (g_threads > g_conns) g_threads = g_conns;
    memset(&g_addr, 0, sizeof g_addr);
    g_addr.sin_family = AF_INET;
    g_addr.sin_port = htons((uint16_t)g_port);
    if (inet_pton(AF_INET, g_host, &g_addr.sin_addr) != 1) {
        fprintf(stderr, "loadgen: -h must be an IPv4 address, got '%s'\n", g_host);
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)g_conns + 64) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    worker_t *ws = calloc((size_t)g_threads, sizeof *ws);
    if (!ws) { perror("calloc"); return 1; }
    pthread_barrier_init(&g_connected, NULL, (unsigned)g_threads + 1);
    for (int t = 0; t < g_threads; t++) {
        worker_t *w = &ws[t];
        w->id = t;
        w->nconns = g_conns / g_threads + (t < g_conns % g_threads ? 1 : 0);
        w->conns = calloc((size_t)w->nconns, sizeof(conn_t));
        w->hist = calloc(NBUCKETS, sizeof(uint64_t));
        w->ep = epoll_create1(EPOLL_CLOEXEC);
        if (!w->conns || !w->hist || w->ep < 0) { perror("loadgen: setup"); return 1; }
        for (int i = 0; i < w->nconns; i++) w->conns[i].fd = -1;
        if (pthread_create(&w->th, NULL, worker_main, w) != 0) { perror("pthread_create"); return 1; }
    }
    pthread_barrier_wait(&g_connected);
    int connected = 0;
    for (int t = 0; t < g_threads; t++)
        for (int i = 0; i < ws[t].nconns; i++) connected += ws[t].conns[i].alive;
    if (connected == 0) fprintf(stderr, "loadgen: no connection could be made to %s:%d\n", g_host, g_port);

    uint64_t t0 = now_ns();
    sleep_until(t0 + (uint64_t)(g_warmup * 1e9));
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    uint64_t m0 = now_ns();
    atomic_store(&g_phase, PHASE_MEASURE);
    sleep_until(m0 + (uint64_t)(g_duration * 1e9));
    atomic_store(&g_phase, PHASE_DONE);
    uint64_t m1 = now_ns();
    getrusage(RUSAGE_SELF, &ru1);
    for (int t = 0; t < g_threads; t++) pthread_join(ws[t].th, NULL);

    double window = (double)(m1 - m0) / 1e9;
    uint64_t rt = 0, rt_total = 0, errors = 0, lat_sum = 0, lat_max = 0;
    int alive = 0;
    uint64_t conn_min = UINT64_MAX, conn_max = 0;
    uint64_t *hist = calloc(NBUCKETS, sizeof(uint64_t));
    for (int t = 0; t < g_threads; t++) {
        worker_t *w = &ws[t];
        rt += w->rt_measured; rt_total += w->rt_total; errors += w->errors; lat_sum += w->lat_sum_ns;
        if (w->lat_max_ns > lat_max) lat_max = w->lat_max_ns;
        for (size_t b = 0; b < NBUCKETS; b++) hist[b] += w->hist[b];
        for (int i = 0; i < w->nconns; i++) {
            if (w->conns[i].alive) {
                alive++;
                if (w->conns[i].rt_measured < conn_min) conn_min = w->conns[i].rt_measured;
                if (w->conns[i].rt_measured > conn_max) conn_max = w->conns[i].rt_measured;
            }
            if (w->conns[i].fd >= 0) close(w->conns[i].fd);
        }
    }
    double pct[3] = { 0.50, 0.99, 0.999 }, val[3] = { 0, 0, 0 };
    for (int k = 0; k < 3; k++) {
        if (rt == 0) continue;
        uint64_t target = (uint64_t)((double)rt * pct[k] + 0.999999);
        if (target == 0) target = 1;
        uint64_t acc = 0;
        for (size_t b = 0; b < NBUCKETS; b++) {
            acc += hist[b];
            if (acc >= target) { val[k] = bucket_us(b); break; }
        }
    }
    double cu = tv_s(ru1.ru_utime) - tv_s(ru0.ru_utime);
    double cs = tv_s(ru1.ru_stime) - tv_s(ru0.ru_stime);
    printf("rps=%.0f p50_us=%.0f p99_us=%.0f conns=%d errors=%llu cpu_user_s=%.3f cpu_sys_s=%.3f cpu_pct=%.1f "
           "roundtrips=%llu roundtrips_total=%llu p999_us=%.0f mean_us=%.1f max_us=%.0f window_s=%.3f alive=%d "
           "threads=%d size=%zu conn_rt_min=%llu conn_rt_max=%llu\n",
           window > 0 ? (double)rt / window : 0.0, val[0], val[1], connected, (unsigned long long)errors, cu, cs,
           window > 0 ? 100.0 * (cu + cs) / window : 0.0, (unsigned long long)rt, (unsigned long long)rt_total,
           val[2], rt ? (double)lat_sum / (double)rt / 1000.0 : 0.0, (double)lat_max / 1000.0, window, alive,
           g_threads, g_size, (unsigned long long)(alive ? conn_min : 0), (unsigned long long)conn_max);
    fflush(stdout);
    return (errors == 0 && rt > 0 && alive == g_conns) ? 0 : 1;
}
