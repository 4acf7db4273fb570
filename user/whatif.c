/*
 * Parsing and applying what-if specs ("load=+30%,servers=4,service=-20%").
 * Numbers are parsed by hand rather than with strtod so that "nan", "inf",
 * hex floats and the locale's decimal comma are all rejected as garbage.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"
#include "queue_model.h"
#include "whatif.h"

#define VALUE_SHOWN 32 /* characters of an offending value quoted in an error */

static void trim(const char **b, const char **e)
{
	while (*b < *e && isspace((unsigned char)**b))
		(*b)++;
	while (*e > *b && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

static int span_is(const char *b, const char *e, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(e - b) == n && memcmp(b, word, n) == 0;
}

/* [+-]DIGITS[.DIGITS]% with a required sign; 0, or -1 with a reason. */
static int parse_pct(const char *key, const char *b, const char *e, double *out, char *err,
		     size_t errlen)
{
	const char *p = b;
	double sign, val = 0, scale = 1;
	int digits = 0;
	int len = (int)(e - b) > VALUE_SHOWN ? VALUE_SHOWN : (int)(e - b);

	if (b == e) {
		errbuf_set(err, errlen, "%s: missing value (e.g. %s=+30%%)", key, key);
		return -1;
	}
	if (*p != '+' && *p != '-') {
		if (isdigit((unsigned char)*p) || *p == '.')
			errbuf_set(err, errlen,
				   "%s: '%.*s' needs a sign, e.g. %s=+30%% or %s=-10%%", key, len,
				   b, key, key);
		else
			errbuf_set(err, errlen,
				   "%s: '%.*s' is not a percentage like +30%% or -10%%", key, len,
				   b);
		return -1;
	}
	sign = *p++ == '-' ? -1 : 1;
	for (; p < e && isdigit((unsigned char)*p); p++, digits++)
		val = val * 10 + (*p - '0');
	if (p < e && *p == '.') {
		for (p++; p < e && isdigit((unsigned char)*p); p++, digits++) {
			scale /= 10;
			val += (*p - '0') * scale;
		}
	}
	if (digits == 0 || (p < e && *p != '%')) {
		errbuf_set(err, errlen, "%s: '%.*s' is not a percentage like +30%% or -10%%", key,
			   len, b);
		return -1;
	}
	if (p == e) {
		errbuf_set(err, errlen, "%s: '%.*s' is missing '%%' (e.g. %s=%.*s%%)", key, len, b,
			   key, len, b);
		return -1;
	}
	if (p + 1 != e) {
		errbuf_set(err, errlen, "%s: unexpected text after '%%' in '%.*s'", key, len, b);
		return -1;
	}
	val *= sign;
	if (val <= -100) {
		errbuf_set(err, errlen, "%s: %.*s is out of range: it must be above -100%%", key,
			   len, b);
		return -1;
	}
	if (val > WHATIF_MAX_PCT) {
		errbuf_set(err, errlen, "%s: %.*s is out of range: at most +%g%%", key, len, b,
			   WHATIF_MAX_PCT);
		return -1;
	}
	*out = val;
	return 0;
}

static int parse_servers(const char *b, const char *e, unsigned *out, char *err, size_t errlen)
{
	const char *p;
	unsigned long val = 0;
	int len = (int)(e - b) > VALUE_SHOWN ? VALUE_SHOWN : (int)(e - b);

	if (b == e) {
		errbuf_set(err, errlen, "servers: missing value (e.g. servers=4)");
		return -1;
	}
	for (p = b; p < e; p++) {
		if (!isdigit((unsigned char)*p)) {
			errbuf_set(err, errlen, "servers: '%.*s' is not a whole number like 4", len,
				   b);
			return -1;
		}
		if (val <= WHATIF_MAX_SERVERS)
			val = val * 10 + (unsigned long)(*p - '0');
	}
	if (val == 0) {
		errbuf_set(err, errlen, "servers: must be at least 1");
		return -1;
	}
	if (val > WHATIF_MAX_SERVERS) {
		errbuf_set(err, errlen, "servers: %.*s is out of range: at most %d", len, b,
			   WHATIF_MAX_SERVERS);
		return -1;
	}
	*out = (unsigned)val;
	return 0;
}

static int parse_clause(const char *b, const char *e, struct whatif *w, char *err, size_t errlen)
{
	const char *eq = memchr(b, '=', (size_t)(e - b));
	const char *kb = b, *ke, *vb, *ve = e;
	int len = (int)(e - b) > VALUE_SHOWN ? VALUE_SHOWN : (int)(e - b);
	unsigned bit;
	const char *key;

	if (!eq) {
		errbuf_set(err, errlen,
			   "'%.*s': expected KEY=VALUE, e.g. load=+30%%, service=-20%%, servers=4",
			   len, b);
		return -1;
	}
	ke = eq;
	vb = eq + 1;
	trim(&kb, &ke);
	trim(&vb, &ve);
	if (span_is(kb, ke, "load")) {
		bit = WHATIF_LOAD;
		key = "load";
	} else if (span_is(kb, ke, "service")) {
		bit = WHATIF_SERVICE;
		key = "service";
	} else if (span_is(kb, ke, "servers")) {
		bit = WHATIF_SERVERS;
		key = "servers";
	} else {
		int klen = (int)(ke - kb) > VALUE_SHOWN ? VALUE_SHOWN : (int)(ke - kb);

		errbuf_set(err, errlen, "unknown key '%.*s' (expected load, service or servers)",
			   klen, kb);
		return -1;
	}
	if (w->set & bit) {
		errbuf_set(err, errlen, "%s: given more than once", key);
		return -1;
	}
	w->set |= bit;
	if (bit == WHATIF_LOAD)
		return parse_pct(key, vb, ve, &w->load_pct, err, errlen);
	if (bit == WHATIF_SERVICE)
		return parse_pct(key, vb, ve, &w->service_pct, err, errlen);
	return parse_servers(vb, ve, &w->servers, err, errlen);
}

int whatif_parse(const char *spec, struct whatif *out, char *err, size_t errlen)
{
	struct whatif w = {0};
	const char *p, *end;

	*out = (struct whatif){0};
	if (!spec) {
		errbuf_set(err, errlen, "empty what-if spec");
		return -1;
	}
	p = spec;
	end = spec + strlen(spec);
	trim(&p, &end);
	if (p == end) {
		errbuf_set(err, errlen, "empty what-if spec");
		return -1;
	}
	while (p <= end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *ce = comma ? comma : end, *cb = p;

		trim(&cb, &ce);
		if (cb == ce) {
			errbuf_set(err, errlen, "empty clause in what-if spec (stray ',')");
			return -1;
		}
		if (parse_clause(cb, ce, &w, err, errlen) < 0)
			return -1;
		if (!comma)
			break;
		p = comma + 1;
	}
	*out = w;
	return 0;
}

void whatif_apply(const struct whatif *w, double lambda, double s, unsigned c, double *lambda2,
		  double *s2, unsigned *c2)
{
	*lambda2 = lambda;
	*s2 = s;
	*c2 = c;
	if (!w)
		return;
	if (w->set & WHATIF_LOAD)
		*lambda2 = lambda * (1 + w->load_pct / 100);
	if (w->set & WHATIF_SERVICE)
		*s2 = s * (1 + w->service_pct / 100);
	if (w->set & WHATIF_SERVERS)
		*c2 = w->servers;
}

int whatif_format(const struct whatif *w, char *buf, size_t len)
{
	char load[48] = "", service[48] = "", servers[32] = "";
	const char *sep1, *sep2;

	if (w->set & WHATIF_LOAD)
		snprintf(load, sizeof(load), "load=%+g%%", w->load_pct);
	if (w->set & WHATIF_SERVICE)
		snprintf(service, sizeof(service), "service=%+g%%", w->service_pct);
	if (w->set & WHATIF_SERVERS)
		snprintf(servers, sizeof(servers), "servers=%u", w->servers);
	sep1 = load[0] && (service[0] || servers[0]) ? "," : "";
	sep2 = service[0] && servers[0] ? "," : "";
	return snprintf(buf, len, "%s%s%s%s%s", load, sep1, service, sep2, servers);
}

void whatif_eval(const struct whatif *w, double lambda, double s, unsigned c, double ca2,
		 double cs2, struct whatif_figures *out)
{
	double lam2, s2;
	unsigned c2;

	whatif_apply(w, lambda, s, c, &lam2, &s2, &c2);
	out->arrival_rate = lam2;
	out->service_time_s = s2;
	out->servers = c2;
	out->rho = queue_model_rho(lam2, s2, c2);
	out->response_s = queue_model_mmc_response(lam2, s2, c2);
	out->response_p99_s = queue_model_mmc_response_p99(lam2, s2, c2);
	out->gg_response_s = queue_model_gg1_response(lam2, s2, ca2, cs2, c2);
}
