/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * cron to systemd OnCalendar=.  Each field is expanded to the set of
 * values it names, then written back in systemd's syntax: "*" for every
 * value, "a..b" for runs, "a/n" or "a..b/n" for steps, lists otherwise.
 * Expanding first means no cron spelling has to be translated as
 * spelling (systemd's "a/n" and cron's "a/n" agree only by accident).
 *
 * Day of month and day of week: cron (Vixie, cronie) runs a job when
 * either matches if both fields are restricted, and when both match if
 * either starts with "*".  systemd always wants both, so the first case
 * becomes two expressions, which a timer takes as two OnCalendar= lines.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "cron.h"

struct cron_field {
	int	 lo, hi;
	uint64_t set;
	int	 star;		/* the field starts with '*' */
};

static int
cron_num(const char **p, const char *end, int lo, int hi, int *v)
{
	int	n = 0, digits = 0;

	while (*p < end && **p >= '0' && **p <= '9' && digits < 3) {
		n = n * 10 + (**p - '0');
		(*p)++;
		digits++;
	}
	if (digits == 0 || n < lo || n > hi)
		return -1;
	*v = n;
	return 0;
}

/* One field's text (len bytes) to its set; -1 when malformed. */
static int
cron_parse_field(const char *s, size_t len, struct cron_field *f)
{
	const char	*p = s, *end = s + len;
	int		 a, b, step, v, single;

	f->set = 0;
	f->star = len > 0 && s[0] == '*';
	for (;;) {
		step = 1;
		single = 0;
		if (p < end && *p == '*') {
			p++;
			a = f->lo;
			b = f->hi;
		} else {
			if (cron_num(&p, end, f->lo, f->hi, &a) == -1)
				return -1;
			b = a;
			single = 1;
			if (p < end && *p == '-') {
				single = 0;
				p++;
				if (cron_num(&p, end, f->lo, f->hi, &b) == -1 ||
				    b < a)
					return -1;
			}
		}
		if (p < end && *p == '/') {
			p++;
			if (cron_num(&p, end, 1, f->hi, &step) == -1)
				return -1;
			/* cronie: "a/n" is "a-max/n" */
			if (single)
				b = f->hi;
		}
		for (v = a; v <= b; v += step)
			f->set |= (uint64_t)1 << v;
		if (p == end)
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

static int
bit(uint64_t set, int v)
{
	return (set >> v) & 1;
}

static void
add(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

/* A number field (minute, hour, day, month) in systemd's syntax. */
static void
render_numbers(struct strbuf *sb, uint64_t set, int lo, int hi)
{
	/* Room for three ints at their widest (-Wformat-truncation). */
	char	 buf[48];
	int	 v, first = -1, last = -1, n = 0, step = 0, prev = -1, ap = 1;

	for (v = lo; v <= hi; v++) {
		if (!bit(set, v))
			continue;
		if (first == -1)
			first = v;
		else if (step == 0)
			step = v - prev;
		else if (v - prev != step)
			ap = 0;
		prev = last = v;
		n++;
	}
	if (n == hi - lo + 1) {
		add(sb, "*");
		return;
	}
	if (n >= 3 && ap) {
		if (step == 1)
			snprintf(buf, sizeof buf, "%02d..%02d", first, last);
		else if (last + step > hi)
			snprintf(buf, sizeof buf, "%02d/%d", first, step);
		else
			snprintf(buf, sizeof buf, "%02d..%02d/%d", first, last,
			    step);
		add(sb, buf);
		return;
	}
	/* A list, with runs of three or more as ranges. */
	n = 0;
	for (v = lo; v <= hi; v++) {
		if (!bit(set, v))
			continue;
		for (last = v; last < hi && bit(set, last + 1); last++)
			;
		if (last - v >= 2)
			snprintf(buf, sizeof buf, "%s%02d..%02d", n ? "," : "", v,
			    last);
		else if (last - v == 1)
			snprintf(buf, sizeof buf, "%s%02d,%02d", n ? "," : "", v,
			    last);
		else
			snprintf(buf, sizeof buf, "%s%02d", n ? "," : "", v);
		add(sb, buf);
		n++;
		v = last;
	}
}

/* Days of the week (bit 0 Sunday) as "Mon..Fri,Sun"; nothing for all. */
static void
render_weekdays(struct strbuf *sb, uint64_t set)
{
	static const char *const name[7] = { "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat", "Sun" };
	int	 d, last, n = 0, on[7];
	char	 buf[48];

	for (d = 0; d < 7; d++)		/* Monday first, as systemd counts */
		on[d] = bit(set, (d + 1) % 7);
	for (d = 0; d < 7 && on[d]; d++)
		;
	if (d == 7)
		return;
	for (d = 0; d < 7; d++) {
		if (!on[d])
			continue;
		for (last = d; last < 6 && on[last + 1]; last++)
			;
		if (last - d >= 2)
			snprintf(buf, sizeof buf, "%s%s..%s", n ? "," : "",
			    name[d], name[last]);
		else if (last - d == 1)
			snprintf(buf, sizeof buf, "%s%s,%s", n ? "," : "",
			    name[d], name[last]);
		else
			snprintf(buf, sizeof buf, "%s%s", n ? "," : "",
			    name[d]);
		add(sb, buf);
		n++;
		d = last;
	}
	add(sb, " ");
}

/* Is there a day in the months of mon that is in dom? (29 Feb counts) */
static int
some_day_exists(uint64_t mon, uint64_t dom)
{
	static const int days[13] = { 0, 31, 29, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	int	 m, d;

	for (m = 1; m <= 12; m++) {
		if (!bit(mon, m))
			continue;
		for (d = 1; d <= days[m]; d++) {
			if (bit(dom, d))
				return 1;
		}
	}
	return 0;
}

static char *
render(const struct cron_field *f, uint64_t dom, uint64_t dow)
{
	struct strbuf	 sb = { NULL, 0, 0 };

	render_weekdays(&sb, dow);
	add(&sb, "*-");
	render_numbers(&sb, f[3].set, 1, 12);
	add(&sb, "-");
	render_numbers(&sb, dom, 1, 31);
	add(&sb, " ");
	render_numbers(&sb, f[1].set, 0, 23);
	add(&sb, ":");
	render_numbers(&sb, f[0].set, 0, 59);
	add(&sb, ":00");
	return sb.buf;
}

int
cron_to_oncalendar(const char *cron, char *out[CRON_MAX_CALENDARS],
    const char **err)
{
	struct cron_field	 f[5] = { { 0, 59, 0, 0 }, { 0, 23, 0, 0 },
	    { 1, 31, 0, 0 }, { 1, 12, 0, 0 }, { 0, 7, 0, 0 } };
	const char		*p = cron, *end;
	uint64_t		 all_dom, all_dow = 0x7f;
	int			 n = 0, i;

	out[0] = out[1] = NULL;
	if (strcmp(cron, "@hourly") == 0)
		cron = "0 * * * *";
	else if (strcmp(cron, "@daily") == 0 || strcmp(cron, "@midnight") == 0)
		cron = "0 0 * * *";
	else if (strcmp(cron, "@weekly") == 0)
		cron = "0 0 * * 0";
	for (i = 0, p = cron; ; i++) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		end = p + strcspn(p, " \t");
		if (i >= 5 || cron_parse_field(p, end - p, &f[i]) == -1) {
			*err = "not a cron schedule: five fields (minute hour "
			    "day-of-month month day-of-week) of numbers, *, "
			    "a-b, a,b and /n, or @hourly, @daily, @weekly";
			return -1;
		}
		p = end;
	}
	if (i != 5) {
		*err = "not a cron schedule: it needs five fields (minute hour "
		    "day-of-month month day-of-week)";
		return -1;
	}
	if (bit(f[4].set, 7))		/* 7 is Sunday too */
		f[4].set = (f[4].set | 1) & 0x7f;
	all_dom = ((uint64_t)1 << 32) - 2;	/* 1..31 */
	if (!f[2].star && !f[4].star) {
		/* Either day matches: one expression per field. */
		if (some_day_exists(f[3].set, f[2].set))
			out[n++] = render(f, f[2].set, all_dow);
		out[n++] = render(f, all_dom, f[4].set);
		return n;
	}
	if (!some_day_exists(f[3].set, f[2].set)) {
		*err = "this schedule never runs: no month it names has that "
		    "day";
		return -1;
	}
	out[n++] = render(f, f[2].set, f[4].set);
	return n;
}
