/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * plan, apply, status, attach: the commands that reach machines (or, for
 * status and attach, read what a run left in its state folder).
 *
 * plan is check on every step (read-only on the machines; the only local
 * write it may make is a new known_hosts entry when asked to accept it).
 * apply checks, applies what differs and verifies, with a transcript log
 * and the journal; SIGHUP is ignored so a dropped SSH session does not
 * stop it half-way.  On a terminal apply shows the run dashboard
 * (tui/dashboard.c), one more reader of the event stream; attach follows
 * the events file of a run (journal.c writes it) with the same dashboard.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "commands.h"
#include "dashboard.h"
#include "engine.h"
#include "events.h"
#include "feature.h"
#include "journal.h"
#include "lazylib.h"
#include "log.h"
#include "planner.h"
#include "profile.h"
#include "secrets.h"
#include "step.h"
#include "transport.h"

struct run_opts {
	int		 json;
	int		 explain;
	int		 jobs;
	int		 events_fd;
	int		 accept_new;
	int		 dry_run;
	int		 dashboard;	/* -1 on a terminal, 0 never, 1 asked */
	const char	*only;		/* --only step,step */
	const char	*profile;
};

static int
parse_int_arg(const char *opt, const char *v, int min, int max, int *out)
{
	const char	*errstr;
	long long	 n;

	if (v == NULL) {
		fprintf(stderr, "dhis2-setup: %s needs a number\n", opt);
		return -1;
	}
	n = strtonum_checked(v, min, max, &errstr);
	if (errstr != NULL) {
		fprintf(stderr, "dhis2-setup: %s %s: %s\n", opt, v, errstr);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int
parse_run_opts(int argc, char **argv, struct run_opts *o, int is_plan)
{
	int	i;

	memset(o, 0, sizeof *o);
	o->events_fd = -1;
	o->dashboard = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0 && is_plan)
			o->json = 1;
		else if (strcmp(a, "--explain") == 0 && is_plan)
			o->explain = 1;
		else if (strcmp(a, "--dry-run") == 0 && !is_plan)
			o->dry_run = 1;
		else if (strcmp(a, "--dashboard") == 0 && !is_plan)
			o->dashboard = 1;
		else if (strcmp(a, "--no-dashboard") == 0 && !is_plan)
			o->dashboard = 0;
		else if (strcmp(a, "--accept-new-host-keys") == 0)
			o->accept_new = 1;
		else if (strcmp(a, "--only") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "dhis2-setup: --only needs step "
				    "names, e.g. --only preflight,base\n");
				return -1;
			}
			o->only = argv[++i];
		}
		else if (strcmp(a, "--jobs") == 0 || strcmp(a, "-j") == 0) {
			if (parse_int_arg(a, i + 1 < argc ? argv[++i] : NULL,
			    1, 64, &o->jobs) == -1)
				return -1;
		} else if (strcmp(a, "--events-fd") == 0 && !is_plan) {
			if (parse_int_arg(a, i + 1 < argc ? argv[++i] : NULL,
			    0, 1 << 20, &o->events_fd) == -1)
				return -1;
			if (fcntl(o->events_fd, F_GETFD) == -1) {
				fprintf(stderr, "dhis2-setup: --events-fd %d: "
				    "%s\n", o->events_fd, strerror(errno));
				return -1;
			}
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "dhis2-setup: unknown option %s\n", a);
			return -1;
		} else if (o->profile == NULL)
			o->profile = a;
		else {
			fprintf(stderr, "dhis2-setup: one profile at a time\n");
			return -1;
		}
	}
	if (o->profile == NULL) {
		fprintf(stderr, "usage: dhis2-setup %s\n", is_plan ?
		    "plan [--json] [--explain] [--accept-new-host-keys] "
		    "[--only STEPS] PROFILE" : "apply [--jobs N] [--events-fd N] "
		    "[--accept-new-host-keys] [--dry-run] [--only STEPS] "
		    "[--[no-]dashboard] PROFILE");
		return -1;
	}
	return 0;
}

static void
print_explain(const struct plan *pl, FILE *f)
{
	size_t	i, k, d;

	for (i = 0; i < pl->nmachines; i++) {
		fprintf(f, "machine %s (%s)\n", pl->machines[i].name,
		    pl->machines[i].kind == PLAN_LOCAL ? "this machine" :
		    pl->machines[i].kind == PLAN_SSH ? "over SSH" :
		    "LXC container");
		for (k = 0; k < pl->nsteps; k++) {
			if (pl->steps[k].machine != i)
				continue;
			fprintf(f, "  %-12s %s", pl->steps[k].step->name,
			    pl->steps[k].step->summary);
			for (d = 0; d < pl->steps[k].ndeps; d++)
				fprintf(f, "%s%s", d == 0 ? " (after " : ", ",
				    pl->steps[pl->steps[k].deps[d]].step->name);
			fprintf(f, "%s\n", pl->steps[k].ndeps ? ")" : "");
		}
	}
}

static void
emit_run(enum event_type type, const char *text, int total,
    const struct engine_summary *sum, int dry_run, const char *logpath)
{
	struct event	ev = { .type = type };
	int		i;

	ev.text = text;
	ev.log = logpath;
	ev.total = total;
	ev.dry_run = dry_run;
	if (sum != NULL) {
		for (i = 0; i < RESULT_COUNT; i++)
			ev.counts[i] = sum->counts[i];
	}
	events_emit(&ev);
}

static void
print_unreachable(const struct plan *pl)
{
	size_t	i;

	for (i = 0; i < pl->nmachines; i++) {
		/* Transport errors start with the machine's name. */
		if (pl->machines[i].error != NULL)
			fprintf(stderr, "dhis2-setup: %s\n",
			    pl->machines[i].error);
	}
}

/* Every step instance in plan order, for readers that show what is to come. */
static void
emit_plan(const struct plan *pl)
{
	struct event	ev = { .type = EV_PLAN };
	size_t		i, k;

	for (i = 0; i < pl->nmachines; i++) {
		for (k = 0; k < pl->nsteps; k++) {
			if (pl->steps[k].machine != i)
				continue;
			ev.machine = pl->machines[i].name;
			ev.step = pl->steps[k].step->name;
			events_emit(&ev);
		}
	}
}

/*
 * The dashboard when apply runs on a terminal (not asked away, not -q);
 * --dashboard where the terminal cannot take it says why and goes plain.
 */
static struct dashboard *
open_dashboard(const struct run_opts *o, int dry)
{
	struct dashboard	*d;
	const char		*why = NULL;

	if (dry || o->dashboard == 0 || global_opts.quiet)
		return NULL;
	if (!dashboard_usable(&why)) {
		if (o->dashboard == 1)
			fprintf(stderr, "dhis2-setup: no dashboard: %s\n", why);
		return NULL;
	}
	if ((d = dashboard_open("dhis2-setup: applying",
	    "closing this terminal does not stop the run")) == NULL &&
	    o->dashboard == 1)
		fprintf(stderr, "dhis2-setup: no dashboard: the terminal "
		    "cannot be set up\n");
	return d;
}

/*
 * plan and apply share everything but the journal, the log and whether
 * apply runs.
 */
static int
run(struct run_opts *o, int is_plan)
{
	struct profile		 p;
	struct secrets		 s;
	struct plan		 pl;
	struct journal		 j;
	struct engine_opts	 eo;
	struct engine_summary	 sum;
	struct dashboard	*dash = NULL;
	int			 dash_sub = -1;
	const char		**vals;
	char			*err = NULL, *logpath = NULL, *name, *text;
	size_t			 nvals, nunbuilt;
	int			 rc, collect = -1, dry = is_plan || o->dry_run;

	/*
	 * Steps use libcurl, libpq and libssh, loaded on first use
	 * (lazylib.h): here, before any thread or dashboard, so that a
	 * missing one stops the run at once with its package's name.
	 */
	lazylib_require(LAZY_CURL);
	lazylib_require(LAZY_PQ);
	lazylib_require(LAZY_SSH);
	memset(&j, 0, sizeof j);
	j.lockfd = -1;
	j.sub = -1;
	j.evfd = -1;
	j.evsub = -1;
	secrets_init(&s);
	if ((rc = load_profile_checked(o->profile, &p, &s, !dry)) !=
	    EXIT_OK) {
		profile_free(&p);
		secrets_free(&s);
		return rc;
	}
	/*
	 * A profile that asks for a feature no step builds yet: the plan
	 * shows it and ends with EXIT_NOT_BUILT; apply refuses before it
	 * touches a machine, rather than install the rest and leave the
	 * operator to find out later that there are no backups.
	 */
	if ((nunbuilt = profile_print_unbuilt(&p, stderr)) > 0 && !dry) {
		fprintf(stderr, "dhis2-setup: %s asks for %s not built yet; "
		    "nothing was changed\n", p.path, nunbuilt == 1 ?
		    "a feature" : "features");
		profile_free(&p);
		secrets_free(&s);
		return EXIT_NOT_BUILT;
	}
	nvals = secrets_values(&s, &vals);
	events_set_redact(vals, nvals);
	if (plan_build(&pl, &p, &err) == -1 ||
	    (o->only != NULL && plan_only(&pl, o->only, &err) == -1)) {
		fprintf(stderr, "dhis2-setup: %s: %s\n", o->profile, err);
		free(err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (o->explain)
		print_explain(&pl, stdout);
	if (!dry) {
		if ((rc = journal_open(&j, o->profile, &err)) != 0) {
			fprintf(stderr, "dhis2-setup: %s\n", err);
			free(err);
			rc = rc == EXIT_LOCKED ? EXIT_LOCKED : EXIT_INTERNAL;
			goto out;
		}
		name = journal_name(o->profile);
		if (log_open(name, &logpath, &err) == -1) {
			fprintf(stderr, "dhis2-setup: %s\n", err);
			free(err);
			free(name);
			rc = EXIT_INTERNAL;
			goto out;
		}
		free(name);
		/* A dropped terminal must not stop a half-done apply. */
		signal(SIGHUP, SIG_IGN);
	}
	signal(SIGPIPE, SIG_IGN);
	if (!o->json && (dash = open_dashboard(o, dry)) != NULL)
		dash_sub = events_subscribe(dashboard_event, dash);
	else if (!o->json && !global_opts.quiet)
		events_plain_subscribe(stdout, global_opts.verbose);
	if (o->events_fd != -1)
		events_json_subscribe(o->events_fd);
	collect = plan_collect_changes(&pl);
	if (j.previous != NULL)
		log_printf("the previous run stopped before it finished; "
		    "every step is checked again and only what is missing "
		    "is done");
	plan_connect(&pl, &p, o->accept_new);
	emit_plan(&pl);
	emit_run(EV_RUN_START, o->profile, (int)pl.nsteps, NULL, dry, logpath);
	memset(&eo, 0, sizeof eo);
	eo.jobs = o->jobs;
	eo.dry_run = dry;
	engine_run(&pl, &p, &s, &eo, &sum);
	text = engine_summary_text(&sum, dry);
	emit_run(EV_RUN_END, text, (int)pl.nsteps, &sum, dry, NULL);
	if (!dry)
		journal_finish(&j, text);
	free(text);
	if (dash != NULL) {
		/* Its report ends with the log's path. */
		events_unsubscribe(dash_sub);
		dashboard_close(dash, 1);
	}
	print_unreachable(&pl);
	if (is_plan && !o->json && !global_opts.quiet)
		topology_print_matrix(&pl.topo, stdout);
	if (o->json)
		plan_print_json(&pl, &p, stdout, 1);
	if (logpath != NULL && !global_opts.quiet && dash == NULL)
		fprintf(o->json ? stderr : stdout, "log: %s\n", logpath);
	rc = engine_exit_code(&sum);
	/* The plan was shown; what it lacks still decides the exit code. */
	if (rc == EXIT_OK && nunbuilt > 0)
		rc = EXIT_NOT_BUILT;
out:
	events_unsubscribe(collect);
	log_close();
	journal_close(&j);
	events_reset();
	plan_free(&pl);
	free(logpath);
	profile_free(&p);
	secrets_free(&s);
	return rc;
}

int
cmd_plan(int argc, char **argv)
{
	struct run_opts	o;

	if (parse_run_opts(argc, argv, &o, 1) == -1)
		return EXIT_USAGE;
	return run(&o, 1);
}

int
cmd_apply(int argc, char **argv)
{
	struct run_opts	o;

	if (parse_run_opts(argc, argv, &o, 0) == -1)
		return EXIT_USAGE;
	return run(&o, 0);
}

int
cmd_status(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: dhis2-setup status PROFILE\n");
		return EXIT_USAGE;
	}
	return journal_status(argv[1], stdout);
}

/*
 * attach: follow a run's events file (STATEDIR/NAME/events, JSON lines)
 * from its start, through the dashboard on a terminal or as plain lines,
 * until the run ends, its lock is gone (killed), or q detaches.  Reading
 * it changes nothing; the run does not know it is watched.
 */
struct follow {
	int		 fd;
	off_t		 pos;
	char		*buf;
	size_t		 len, cap;
	int		 ended;
	int		 failed;
	char		*log;
};

static void
follow_line(struct follow *fw, const char *line, struct dashboard *d)
{
	struct event	 ev;
	void		*hold;

	if (events_json_parse(line, &ev, &hold) == -1)
		return;
	if (ev.type == EV_RUN_START && ev.log != NULL) {
		free(fw->log);
		fw->log = xstrdup(ev.log);
	}
	if (ev.type == EV_RUN_END) {
		fw->ended = 1;
		fw->failed = ev.counts[RESULT_FAILED] > 0;
	}
	if (d != NULL)
		dashboard_event(&ev, d);
	else
		events_emit(&ev);
	events_json_free(hold);
}

/* What the file holds beyond fw->pos; 1 when something was read. */
static int
follow_read(struct follow *fw, struct dashboard *d)
{
	struct stat	 st;
	char		*nl, *p;
	ssize_t		 n;
	int		 got = 0;

	if (fstat(fw->fd, &st) == 0 && st.st_size < fw->pos) {
		/* A new run truncated it: start over. */
		fw->pos = 0;
		fw->len = 0;
		fw->ended = 0;
		if (lseek(fw->fd, 0, SEEK_SET) == -1)
			return 0;
		if (d != NULL)
			dashboard_reset(d);
	}
	for (;;) {
		if (fw->cap - fw->len < 65536) {
			fw->cap = fw->cap * 2 + 65536;
			fw->buf = xreallocarray(fw->buf, 1, fw->cap);
		}
		n = read(fw->fd, fw->buf + fw->len, fw->cap - fw->len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got = 1;
		fw->pos += n;
		fw->len += (size_t)n;
		fw->buf[fw->len] = '\0';
		p = fw->buf;
		while (!fw->ended && (nl = strchr(p, '\n')) != NULL) {
			*nl = '\0';
			follow_line(fw, p, d);
			p = nl + 1;
		}
		fw->len -= (size_t)(p - fw->buf);
		memmove(fw->buf, p, fw->len);
		if (fw->ended)
			break;
	}
	return got;
}

int
cmd_attach(int argc, char **argv)
{
	struct follow		 fw;
	struct dashboard	*d = NULL;
	struct pollfd		 pfd;
	const char		*profile = NULL, *why;
	char			*dir, *path, c;
	int			 i, plain = 0, rc, detached = 0, gone = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-dashboard") == 0)
			plain = 1;
		else if (argv[i][0] == '-' || profile != NULL) {
			profile = NULL;
			break;
		} else
			profile = argv[i];
	}
	if (profile == NULL) {
		fprintf(stderr, "usage: dhis2-setup attach [--no-dashboard] "
		    "PROFILE\n");
		return EXIT_USAGE;
	}
	memset(&fw, 0, sizeof fw);
	dir = journal_dir(profile);
	path = path_join(dir, "events");
	fw.fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fw.fd == -1) {
		fprintf(stderr, "dhis2-setup: %s: no run to attach to (%s: "
		    "%s); see 'dhis2-setup status %s'\n", profile, path,
		    strerror(errno), profile);
		free(path);
		free(dir);
		return EXIT_USAGE;
	}
	free(path);
	signal(SIGPIPE, SIG_IGN);
	if (!plain && dashboard_usable(&why))
		d = dashboard_open("dhis2-setup: attached to",
		    "q detaches; the run goes on");
	if (d == NULL)
		events_plain_subscribe(stdout, global_opts.verbose);
	for (;;) {
		if (follow_read(&fw, d) || fw.ended)
			;
		else if (!journal_running(dir)) {
			/* It may have written its end before letting go. */
			follow_read(&fw, d);
			break;
		}
		if (fw.ended || (d != NULL && dashboard_dead(d)))
			break;
		if (d == NULL) {
			poll(NULL, 0, 250);
			continue;
		}
		pfd.fd = STDIN_FILENO;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 250) > 0) {
			if (read(STDIN_FILENO, &c, 1) != 1) {
				gone = 1;	/* the terminal went away */
				break;
			}
			if (c == 'q' || c == 'Q') {
				detached = 1;
				break;
			}
		}
	}
	if (d != NULL)
		dashboard_close(d, !gone);
	if (detached)
		printf("detached; the run goes on ('dhis2-setup status %s')\n",
		    profile);
	else if (!fw.ended)
		printf("the run stopped before it finished; 'dhis2-setup apply "
		    "%s' again finishes it\n", profile);
	else if (d == NULL && fw.log != NULL)
		printf("log: %s\n", fw.log);
	rc = detached ? EXIT_OK : !fw.ended || fw.failed ? EXIT_STEP_FAILED :
	    EXIT_OK;
	events_reset();
	close(fw.fd);
	free(fw.buf);
	free(fw.log);
	free(dir);
	return rc;
}
