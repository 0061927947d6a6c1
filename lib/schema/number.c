/*
 * number.c -- numbers as the JSON Schema validator sees them:
 * exact comparison of integers and reals, Python's way of printing
 * them (for messages), and multipleOf in decimal.
 *
 * multipleOf is decided on the decimal a real stands for, not on its
 * binary value: 19.99 is a multiple of 0.01 although the double
 * nearest 19.99 is not.  A real stands for its shortest round-trip
 * decimal, which is what the user wrote for any input of up to 15
 * significant digits.  Finding that decimal takes up to 17 rounds of
 * snprintf() + strtod(), so the usual divisor (a power of ten, or a
 * small integer times one: 0.01, 0.5, 5) gets an exact shortcut; see
 * fpg_schema_mult_check().
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_int.h"

/* 10^0 .. 10^22: every one of them is a double exactly. */
static const double p10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * Whether the number j has an integral value: JSON Schema counts 1.0
 * as an integer, and jansson hands us it as a real.
 */
int
fpg_schema_integral(const json_t *j)
{
	double	 d;

	if (json_is_integer(j))
		return 1;
	d = json_real_value(j);
	return isfinite(d) && floor(d) == d;
}

/*
 * Compares two JSON numbers: -1, 0 or 1.  Integers compare exactly;
 * otherwise through long double, which holds every long long and
 * every double exactly on the platforms we build for.
 */
int
fpg_schema_numcmp(const json_t *a, const json_t *b)
{
	long double	 x, y;

	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t i = json_integer_value(a),
		    j = json_integer_value(b);
		return (i > j) - (i < j);
	}
	x = json_is_integer(a) ? (long double)json_integer_value(a) :
	    (long double)json_real_value(a);
	y = json_is_integer(b) ? (long double)json_integer_value(b) :
	    (long double)json_real_value(b);
	return (x > y) - (x < y);
}

/* Shortest "%.*g" text that reads back as d (Python's repr digits). */
static void
dblrepr(double d, char *buf, size_t sz)
{
	int	 p;

	for (p = 1; p <= 17; p++) {
		snprintf(buf, sz, "%.*g", p, d);
		if (strtod(buf, NULL) == d)
			break;
	}
}

/* A number as Python prints it: integers bare, floats with a dot. */
char *
fpg_schema_numstr(const json_t *j)
{
	char	 buf[64];

	if (json_is_integer(j))
		snprintf(buf, sizeof(buf), "%lld",
		    (long long)json_integer_value(j));
	else {
		dblrepr(json_real_value(j), buf, sizeof(buf) - 2);
		if (strpbrk(buf, ".eEn") == NULL)
			strcat(buf, ".0");
	}
	return strdup(buf);
}

/*
 * The exact decimal a number stands for: integers as they are, reals
 * by their shortest round-trip representation (so 0.1 is 1e-1, not
 * the binary fraction).  The sign is dropped; trailing zeros are moved
 * into the exponent.  Slow for reals: up to 17 snprintf() + strtod().
 */
static void
todec(const json_t *j, struct dec *d)
{
	char	 buf[64], *e;
	double	 x;
	int	 p, i;

	d->m = 0;
	d->e = 0;
	if (json_is_integer(j)) {
		json_int_t v = json_integer_value(j);
		d->m = v < 0 ? (uint64_t)-(v + 1) + 1 : (uint64_t)v;
	} else {
		x = fabs(json_real_value(j));
		if (x == 0 || !isfinite(x))
			return;
		for (p = 1; p <= 17; p++) {
			snprintf(buf, sizeof(buf), "%.*e", p - 1, x);
			if (strtod(buf, NULL) == x)
				break;
		}
		if ((e = strchr(buf, 'e')) == NULL)
			return;
		for (i = 0; buf + i < e; i++)
			if (buf[i] >= '0' && buf[i] <= '9')
				d->m = d->m * 10 + (uint64_t)(buf[i] - '0');
		d->e = strtol(e + 1, NULL, 10) - (p > 17 ? 16 : p - 1);
	}
	while (d->m != 0 && d->m % 10 == 0) {
		d->m /= 10;
		d->e++;
	}
}

static uint64_t
gcd(uint64_t a, uint64_t b)
{
	while (b != 0) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/*
 * Whether a is an integer multiple of b (b > 0), exactly in decimal:
 * 19.99 is a multiple of 0.01.  With a = ma*10^ea and b = mb*10^eb,
 * a/b = (ma/mb) * 10^(ea-eb); no step can overflow.
 */
static int
multiple(const struct dec *a, const struct dec *b)
{
	uint64_t	 r, pw;
	long		 e, k;

	if (a->m == 0)
		return 1;
	if (b->m == 0)
		return 0;
	e = a->e - b->e;
	if (e >= 0) {
		/* Need mb / gcd to divide 10^e: only 2s and 5s, few enough. */
		r = b->m / gcd(a->m, b->m);
		for (k = 0; r % 2 == 0; k++)
			r /= 2;
		if (k > e)
			return 0;
		for (k = 0; r % 5 == 0; k++)
			r /= 5;
		return k <= e && r == 1;
	}
	/* Need mb * 10^-e to divide ma (< 2^64, so 10^-e <= 10^19). */
	if ((k = -e) > 19)
		return 0;
	for (pw = 1; k-- > 0; )
		pw *= 10;
	if (a->m % pw != 0)
		return 0;
	return (a->m / pw) % b->m == 0;
}

/*
 * Keeps the divisor as an exact decimal and, when it is mb * 10^-k
 * with k <= 22 (so 10^k is an exact double) and mb fits 64 bits, sets
 * up the shortcut.  An integral divisor has k = 0.
 */
void
fpg_schema_mult_init(struct mult *m, const json_t *v)
{
	long	 e;

	m->b.v = v;
	todec(v, &m->dec);
	m->fast = 0;
	if (m->dec.m == 0)
		return;
	if (m->dec.e <= 0 && m->dec.e >= -22) {
		m->k = (int)-m->dec.e;
		m->mb = m->dec.m;
		m->fast = 1;
	} else if (m->dec.e > 0) {
		m->k = 0;
		m->mb = m->dec.m;
		for (e = m->dec.e; e > 0; e--) {
			if (m->mb > UINT64_MAX / 10)
				return;	/* no shortcut */
			m->mb *= 10;
		}
		m->fast = 1;
	}
}

int
fpg_schema_mult_slow(const struct mult *m, const json_t *inst)
{
	struct dec	 d;

	todec(inst, &d);
	return multiple(&d, &m->dec);
}

/*
 * The shortcut, for a real x and a divisor mb * 10^-k.  Let D be the
 * shortest decimal that reads back as x (what todec() finds).  x is a
 * multiple iff D has at most k fraction digits and D * 10^k is a
 * multiple of mb.
 *
 * Let y = |x| * 10^k < 2^50.  Then the ulp of x is below 10^-k / 4,
 * so the doubles' rounding interval around x (at most one ulp wide)
 * holds at most one decimal with k fraction digits, N / 10^k.  If it
 * holds one, todec()'s search stops, at the latest, at the precision
 * that rounds x to k fraction digits, which is N / 10^k: so D has at
 * most k fraction digits iff such an N exists, and then D = N / 10^k
 * (after trailing zeros).  That N is within 1/8 of the exact x * 10^k,
 * and the computed y is within 1/8 of that, so floor(y + 0.5) finds
 * it (the rounding of y + 0.5 cannot carry it across an integer).
 * N / 10^k reads back as x iff the IEEE division N / 1e k (N < 2^53
 * and 1e k both exact, the quotient correctly rounded, as strtod()
 * rounds) gives x; a division that gives x proves such an N exists.
 * Subnormal x give N = 0, correctly "no".  Anything else (y >= 2^50,
 * k > 22, a divisor of more than 64 bits) goes the slow way;
 * check_schema.c compares both ways on many values.
 */
int
fpg_schema_mult_check(const struct mult *m, const json_t *inst)
{
	double	 x, y, n;

	if (!m->fast || !json_is_real(inst)) {
		if (m->fast && m->k == 0) {
			/* Integer by integer: plain modulo. */
			json_int_t v = json_integer_value(inst);
			uint64_t u = v < 0 ? (uint64_t)-(v + 1) + 1 :
			    (uint64_t)v;
			return u % m->mb == 0;
		}
		return fpg_schema_mult_slow(m, inst);
	}
	x = fabs(json_real_value(inst));
	if (x == 0 || !isfinite(x))
		return 1;
	y = x * p10[m->k];
	if (!(y < 0x1p50))
		return fpg_schema_mult_slow(m, inst);
	n = floor(y + 0.5);
	if (n / p10[m->k] != x)
		return 0;
	return (uint64_t)n % m->mb == 0;
}
