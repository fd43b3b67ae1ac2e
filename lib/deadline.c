/* deadline.c - see deadline.h. */
#include "deadline.h"

#include <errno.h>
#include <time.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tide_deadline_start(tide_deadline *d, long seconds)
{
    d->seconds = seconds;
    d->end_ms = seconds > 0 ? now_ms() + (long long)seconds * 1000 : 0;
}

int tide_deadline_allows(const tide_deadline *d, long sleep_ms)
{
    if (d->seconds < 0)
        return 1;
    if (d->seconds == 0)
        return 0;
    return now_ms() + (sleep_ms > 0 ? sleep_ms : 0) < d->end_ms;
}

void tide_sleep_ms(long ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ; /* interrupted by a signal: sleep the rest */
}
