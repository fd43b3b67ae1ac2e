/*
 * deadline.h - "keep trying until" for the clients that poll or retry
 * (PCS transitions, Kubernetes evictions and deletions, Redfish power state).
 *
 * A deadline is given in seconds from now: a negative value means no limit,
 * 0 means "one attempt, no retry" (which also makes unit tests deterministic),
 * anything else is measured on the monotonic clock.  Sleeps of 0 ms do not
 * sleep, so tests pass poll intervals of 0.
 */
#ifndef TIDE_DEADLINE_H
#define TIDE_DEADLINE_H

typedef struct tide_deadline {
    long      seconds;   /* as given */
    long long end_ms;    /* monotonic time at which it expires */
} tide_deadline;

void tide_deadline_start(tide_deadline *d, long seconds);
/* 1 when an attempt made after sleeping `sleep_ms` would still start before the deadline. */
int  tide_deadline_allows(const tide_deadline *d, long sleep_ms);
/* Sleep that long (nothing for ms <= 0). */
void tide_sleep_ms(long ms);

#endif
