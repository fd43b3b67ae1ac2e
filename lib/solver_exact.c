/*
 * solver_exact.c - the exact sign of a sum of fractions, for the waste level.
 *
 * Waste values are sums of fractions over up to hundreds of types; their
 * denominators' common multiple can have hundreds of digits, and two
 * different choices can differ by less than any floating point margin.  A
 * long double estimate with an error bound settles almost every comparison;
 * the rest are computed exactly: with L the least common multiple of the
 * denominators, sign(sum num_i / den_i) = sign(sum num_i * (L / den_i)).
 * Numbers are little-endian arrays of 32-bit limbs.
 */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "solver_int.h"
#include "strbuf.h"

typedef struct big {
    uint32_t *d;
    size_t    n;      /* limbs in use; 0 means zero */
    size_t    cap;
} big;

static void big_trim(big *x)
{
    while (x->n && !x->d[x->n - 1])
        x->n--;
}

static void big_set(big *x, uint32_t v)
{
    x->n = v ? 1 : 0;
    x->d[0] = v;
}

static void big_copy(big *to, const big *from)
{
    memcpy(to->d, from->d, from->n * sizeof(uint32_t));
    to->n = from->n;
}

/* x *= m (m < 2^64). */
static void big_mul(big *x, uint64_t m)
{
    unsigned __int128 carry = 0;
    for (size_t i = 0; i < x->n; i++) {
        unsigned __int128 t = (unsigned __int128)x->d[i] * m + carry;
        x->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    while (carry) {
        x->d[x->n++] = (uint32_t)carry;
        carry >>= 32;
    }
    big_trim(x);
}

/* x /= v, returning the remainder. */
static uint32_t big_div_small(big *x, uint32_t v)
{
    uint64_t rem = 0;
    for (size_t i = x->n; i-- > 0;) {
        uint64_t cur = (rem << 32) | x->d[i];
        x->d[i] = (uint32_t)(cur / v);
        rem = cur % v;
    }
    big_trim(x);
    return (uint32_t)rem;
}

static uint32_t big_mod_small(const big *x, uint32_t v)
{
    uint64_t rem = 0;
    for (size_t i = x->n; i-- > 0;)
        rem = ((rem << 32) | x->d[i]) % v;
    return (uint32_t)rem;
}

static int big_cmp(const big *x, const big *y)
{
    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    for (size_t i = x->n; i-- > 0;)
        if (x->d[i] != y->d[i])
            return x->d[i] < y->d[i] ? -1 : 1;
    return 0;
}

/* x += y (magnitudes). */
static void big_add(big *x, const big *y)
{
    uint64_t carry = 0;
    size_t n = x->n > y->n ? x->n : y->n;
    for (size_t i = 0; i < n; i++) {
        uint64_t t = carry + (i < x->n ? x->d[i] : 0) + (i < y->n ? y->d[i] : 0);
        x->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    x->n = n;
    if (carry)
        x->d[x->n++] = (uint32_t)carry;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int exact_sign(const int64_t *num, const int64_t *den, size_t n)
{
    /* L has at most one 32-bit limb per denominator; a numerator adds two
     * limbs and the sum of n terms one more, so n + 4 limbs hold everything. */
    size_t cap = n + 4;
    big l = { xcalloc(cap, 4), 0, cap }, term = { xcalloc(cap, 4), 0, cap };
    big pos = { xcalloc(cap, 4), 0, cap }, neg = { xcalloc(cap, 4), 0, cap };

    big_set(&l, 1);
    for (size_t i = 0; i < n; i++) {
        if (!num[i])
            continue;
        uint32_t d = (uint32_t)den[i];
        uint32_t g = (uint32_t)gcd_u64(big_mod_small(&l, d), d);   /* gcd(L, d) */
        big_mul(&l, d / g);
    }
    for (size_t i = 0; i < n; i++) {
        if (!num[i])
            continue;
        big_copy(&term, &l);
        big_div_small(&term, (uint32_t)den[i]);
        big_mul(&term, (uint64_t)(num[i] < 0 ? -num[i] : num[i]));
        big_add(num[i] < 0 ? &neg : &pos, &term);
    }
    int sign = big_cmp(&pos, &neg);
    free(l.d);
    free(term.d);
    free(pos.d);
    free(neg.d);
    return sign;
}

int solver_exact_sign(const int64_t *num, const int64_t *den, size_t n)
{
    /* The estimate: each conversion, quotient and addition is off by at most
     * one rounding (relative DBL_EPSILON; long double is never coarser), so
     * the total error is below (3n + 2) * eps * sum |q_i|. */
    long double sum = 0, mag = 0;
    for (size_t i = 0; i < n; i++) {
        if (!num[i])
            continue;
        long double q = (long double)num[i] / (long double)den[i];
        sum += q;
        mag += q < 0 ? -q : q;
    }
    long double bound = (3.0L * (long double)n + 2.0L) * DBL_EPSILON * mag;
    if (sum > bound)
        return 1;
    if (sum < -bound)
        return -1;
    if (mag == 0)
        return 0;
    return exact_sign(num, den, n);
}
