/*
 * regex.c -- "pattern" and "patternProperties": ECMA-262
 * regular expressions run by pcre2.
 *
 * Patterns are compiled once with the options that make pcre2 read
 * them as ECMA-262 does, then JIT-compiled when the platform allows
 * (Debian's libpcre2 has JIT on amd64 and arm64); without JIT they
 * run in pcre2's interpreter, with the same results.
 *
 * Matching needs a pcre2_match_data.  For JIT matches each thread
 * keeps one (pthread-specific, freed when the thread exits), so a
 * validation allocates nothing; it is never shared between threads
 * and never used by two matches at once (a match does not call back).
 * Interpreter matches keep their heap frames in the match data, up to
 * SCHEMA_HEAP_LIMIT, so they use a per-call one (struct vctx's md,
 * freed by fpg_schema_validate()) and no thread hoards that memory.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_int.h"

/* ECMA-262 long General_Category names; pcre2 10.42 knows the short. */
static const char *const gcnames[][2] = {
	{ "Letter", "L" }, { "Cased_Letter", "L&" },
	{ "Uppercase_Letter", "Lu" }, { "Lowercase_Letter", "Ll" },
	{ "Titlecase_Letter", "Lt" }, { "Modifier_Letter", "Lm" },
	{ "Other_Letter", "Lo" }, { "Mark", "M" }, { "Combining_Mark", "M" },
	{ "Nonspacing_Mark", "Mn" }, { "Spacing_Mark", "Mc" },
	{ "Enclosing_Mark", "Me" }, { "Number", "N" },
	{ "Decimal_Number", "Nd" }, { "digit", "Nd" },
	{ "Letter_Number", "Nl" }, { "Other_Number", "No" },
	{ "Punctuation", "P" }, { "punct", "P" },
	{ "Connector_Punctuation", "Pc" }, { "Dash_Punctuation", "Pd" },
	{ "Open_Punctuation", "Ps" }, { "Close_Punctuation", "Pe" },
	{ "Initial_Punctuation", "Pi" }, { "Final_Punctuation", "Pf" },
	{ "Other_Punctuation", "Po" }, { "Symbol", "S" },
	{ "Math_Symbol", "Sm" }, { "Currency_Symbol", "Sc" },
	{ "Modifier_Symbol", "Sk" }, { "Other_Symbol", "So" },
	{ "Separator", "Z" }, { "Space_Separator", "Zs" },
	{ "Line_Separator", "Zl" }, { "Paragraph_Separator", "Zp" },
	{ "Other", "C" }, { "Control", "Cc" }, { "cntrl", "Cc" },
	{ "Format", "Cf" }, { "Surrogate", "Cs" }, { "Private_Use", "Co" },
	{ "Unassigned", "Cn" },
};

/*
 * Rewrites ECMA-262 property escapes pcre2 does not read: \p{Letter}
 * becomes \p{L}, \p{General_Category=Lu} and \p{Script=Greek} lose the
 * prefix.  The result is never longer than the source.  Returns a new
 * string (*outlen bytes) or NULL when out of memory.
 */
static char *
ecma_props(const char *src, size_t len, size_t *outlen)
{
	char		*out, *o;
	const char	*name, *end, *eq;
	size_t		 i, k, nlen;

	if ((out = o = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		*o++ = src[i];
		if (src[i] != '\\' || i + 1 >= len)
			continue;
		*o++ = src[++i];
		if ((src[i] != 'p' && src[i] != 'P') || i + 1 >= len ||
		    src[i + 1] != '{')
			continue;
		name = src + i + 2;
		if ((end = memchr(name, '}', len - (size_t)(name - src))) ==
		    NULL)
			continue;
		if ((eq = memchr(name, '=', (size_t)(end - name))) != NULL)
			name = eq + 1;
		nlen = (size_t)(end - name);
		for (k = 0; k < sizeof(gcnames) / sizeof(gcnames[0]); k++)
			if (strlen(gcnames[k][0]) == nlen &&
			    memcmp(gcnames[k][0], name, nlen) == 0)
				break;
		*o++ = '{';
		if (k < sizeof(gcnames) / sizeof(gcnames[0])) {
			memcpy(o, gcnames[k][1], strlen(gcnames[k][1]));
			o += strlen(gcnames[k][1]);
		} else {
			memcpy(o, name, nlen);
			o += nlen;
		}
		*o++ = '}';
		i = (size_t)(end - src);
	}
	*o = '\0';
	*outlen = (size_t)(o - out);
	return out;
}

static void
set_add(unsigned char *set, int lo, int hi)
{
	for (; lo <= hi; lo++)
		set[lo >> 3] |= (unsigned char)(1u << (lo & 7));
}

/*
 * Recognises ^[class]+$ and ^[class]*$ where the class holds printable
 * ASCII characters, ranges of them, \d, \w and escaped punctuation,
 * and fills re->set.  Without multiline, ^ and $ (DOLLAR_ENDONLY) are
 * the subject's ends, and without case folding or PCRE2_UCP such a
 * pattern matches exactly the strings of bytes in the set (a
 * non-ASCII character, being no byte of the set, never matches), so
 * the result is pcre2's.  Any other pattern is left to pcre2.
 */
static void
simple(struct regex *re, const char *p, size_t len)
{
	unsigned char	 set[32];
	size_t		 i;
	int		 c, prev = -1, q;

	memset(set, 0, sizeof(set));
	if (len < 6 || p[0] != '^' || p[1] != '[' || p[2] == '^' ||
	    p[len - 1] != '$' || (p[len - 2] != '+' && p[len - 2] != '*') ||
	    p[len - 3] != ']')
		return;
	q = p[len - 2] == '+' ? 2 : 1;
	for (i = 2; i < len - 3; i++) {
		c = (unsigned char)p[i];
		if (c < 0x20 || c > 0x7e || c == '[' || c == ']')
			return;
		if (c == '\\') {
			if (++i >= len - 3)
				return;
			c = (unsigned char)p[i];
			if (c == 'd')
				set_add(set, '0', '9');
			else if (c == 'w') {
				set_add(set, '0', '9');
				set_add(set, 'A', 'Z');
				set_add(set, 'a', 'z');
				set_add(set, '_', '_');
			} else if (c >= 0x21 && c <= 0x7e &&
			    !(c >= '0' && c <= '9') &&
			    !(c >= 'A' && c <= 'Z') &&
			    !(c >= 'a' && c <= 'z')) {
				set_add(set, c, c);
				prev = -1;	/* an escape starts no range */
				continue;
			} else
				return;
			prev = -1;
			continue;
		}
		if (c == '-' && prev < 0 && i > 2 && i + 1 < len - 3)
			return;	/* after an escape: leave ranges to pcre2 */
		if (c == '-' && prev >= 0 && i + 1 < len - 3) {
			/* A range prev-hi; '-' first or last is literal. */
			int hi = (unsigned char)p[++i];

			if (hi < 0x20 || hi > 0x7e || hi == '\\' ||
			    hi == '[' || hi == ']' || hi < prev)
				return;
			set_add(set, prev, hi);
			prev = -1;
			continue;
		}
		set_add(set, c, c);
		prev = c;
	}
	memcpy(re->set, set, sizeof(set));
	re->simple = q;
}

/*
 * Compiles an ECMA-262-flavoured pattern: \d and \w stay ASCII (no
 * PCRE2_UCP), \uXXXX is accepted (ALT_BSUX), $ only matches at the end
 * (DOLLAR_ENDONLY), and [^] is allowed.  A failed JIT compile is not
 * an error: the interpreter runs the pattern instead.
 */
int
fpg_schema_regex_new(struct regex *re, const char *src, size_t len,
    char *err, size_t errsz)
{
	PCRE2_SIZE	 off;
	PCRE2_UCHAR	 msg[128];
	char		*pat;
	size_t		 plen;
	int		 code;

	memset(re, 0, sizeof(*re));
	re->src = src;
	if ((pat = ecma_props(src, len, &plen)) == NULL) {
		snprintf(err, errsz, "out of memory");
		return 0;
	}
	re->code = pcre2_compile((PCRE2_SPTR)pat, plen, PCRE2_UTF |
	    PCRE2_ALT_BSUX | PCRE2_DOLLAR_ENDONLY | PCRE2_ALLOW_EMPTY_CLASS |
	    PCRE2_NEVER_BACKSLASH_C, &code, &off, NULL);
	free(pat);
	if (re->code == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errsz, "invalid pattern (offset %zu: %s)",
		    (size_t)off, (const char *)msg);
		return 0;
	}
	re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
	simple(re, src, len);
	return 1;
}

void
fpg_schema_regex_free(struct regex *re)
{
	pcre2_code_free(re->code);
	re->code = NULL;
}

static pthread_key_t	mdkey;
static pthread_once_t	mdonce = PTHREAD_ONCE_INIT;
static int		mdkey_ok;

static void
md_free(void *md)
{
	pcre2_match_data_free(md);
}

static void
md_init(void)
{
	mdkey_ok = pthread_key_create(&mdkey, md_free) == 0;
}

/* This thread's match data for JIT matches, or NULL (no memory). */
static pcre2_match_data *
md_thread(void)
{
	pcre2_match_data	*md;

	if (pthread_once(&mdonce, md_init) != 0 || !mdkey_ok)
		return NULL;
	if ((md = pthread_getspecific(mdkey)) != NULL)
		return md;
	if ((md = pcre2_match_data_create(1, NULL)) == NULL)
		return NULL;
	if (pthread_setspecific(mdkey, md) != 0) {
		pcre2_match_data_free(md);
		return NULL;
	}
	return md;
}

/*
 * Unanchored search, as ECMA-262 RegExp.prototype.test.  pcre2_match()
 * (not pcre2_jit_match()) so that the subject's UTF-8 is still
 * checked: the instance is the caller's json_t.  A JIT match that runs
 * out of JIT stack or match steps is retried by the interpreter, whose
 * limits (SCHEMA_MATCH_LIMIT, SCHEMA_HEAP_LIMIT) are the reference; a
 * limit hit there is a mismatch: such input is hostile.
 */
int
fpg_schema_regex_test(struct vctx *c, const struct regex *re,
    const char *p, size_t len)
{
	pcre2_match_data	*md;
	size_t			 i;
	int			 rc;

	if (re->simple) {
		if (len + 1 < (size_t)re->simple)
			return 0;
		for (i = 0; i < len; i++)
			if (!(re->set[(unsigned char)p[i] >> 3] &
			    (1u << ((unsigned char)p[i] & 7))))
				return 0;
		return 1;
	}
	if (re->jit && (md = md_thread()) != NULL) {
		rc = pcre2_match(re->code, (PCRE2_SPTR)p, len, 0, 0, md,
		    c->s->mctx);
		if (rc >= 0)
			return 1;
		if (rc == PCRE2_ERROR_NOMATCH)
			return 0;
	}
	if (c->md == NULL &&
	    (c->md = pcre2_match_data_create(1, NULL)) == NULL) {
		c->oom = 1;
		return 0;
	}
	return pcre2_match(re->code, (PCRE2_SPTR)p, len, 0, PCRE2_NO_JIT,
	    c->md, c->s->mctx) >= 0;
}
