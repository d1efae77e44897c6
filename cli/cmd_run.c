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
#include "lock.h"
#include "log.h"
#include "planner.h"
#include "profile.h"
#include "secrets.h"
#include "step.h"
#include "transport.h"

/* apply's options, and what only plan has. */
struct run_opts {
	struct apply_opts	 a;
	int			 is_plan;
	int			 json;		/* plan --json */
	int			 explain;	/* plan --explain */
};

/* One plan or apply, from the profile loaded to the exit code. */
struct run {
	const struct run_opts	*o;
	int			 dry;		/* plan, or apply --dry-run */
	struct profile		 p;
	struct secrets		 s;
	struct plan		 pl;
	struct journal		 j;
	struct target_locks	 tl;
	char			*locked;	/* why the targets were not locked */
	int			 lock_rc;
	char			*logpath;
	size_t			 nunbuilt;	/* features asked, not built */
	struct dashboard	*dash;
	int			 dash_sub;
	int			 collect;
	struct engine_summary	 sum;
};

void
apply_opts_init(struct apply_opts *a, const char *profile)
{
	memset(a, 0, sizeof *a);
	a->profile = profile;
	a->events_fd = -1;
	a->dashboard = -1;
}

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
	struct apply_opts	*ao = &o->a;
	int			 i;

	memset(o, 0, sizeof *o);
	apply_opts_init(ao, NULL);
	o->is_plan = is_plan;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0 && is_plan)
			o->json = 1;
		else if (strcmp(a, "--explain") == 0 && is_plan)
			o->explain = 1;
		else if (strcmp(a, "--dry-run") == 0 && !is_plan)
			ao->dry_run = 1;
		else if (strcmp(a, "--dashboard") == 0 && !is_plan)
			ao->dashboard = 1;
		else if (strcmp(a, "--no-dashboard") == 0 && !is_plan)
			ao->dashboard = 0;
		else if (strcmp(a, "--accept-new-host-keys") == 0)
			ao->accept_new = 1;
		else if (strcmp(a, "--only") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "dhis2-setup: --only needs step "
				    "names, e.g. --only preflight,base\n");
				return -1;
			}
			ao->only = argv[++i];
		}
		else if (strcmp(a, "--jobs") == 0 || strcmp(a, "-j") == 0) {
			if (parse_int_arg(a, i + 1 < argc ? argv[++i] : NULL,
			    1, 64, &ao->jobs) == -1)
				return -1;
		} else if (strcmp(a, "--events-fd") == 0 && !is_plan) {
			if (parse_int_arg(a, i + 1 < argc ? argv[++i] : NULL,
			    0, 1 << 20, &ao->events_fd) == -1)
				return -1;
			if (fcntl(ao->events_fd, F_GETFD) == -1) {
				fprintf(stderr, "dhis2-setup: --events-fd %d: "
				    "%s\n", ao->events_fd, strerror(errno));
				return -1;
			}
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "dhis2-setup: unknown option %s\n", a);
			return -1;
		} else if (ao->profile == NULL)
			ao->profile = a;
		else {
			fprintf(stderr, "dhis2-setup: one profile at a time\n");
			return -1;
		}
	}
	if (ao->profile == NULL) {
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
open_dashboard(const struct apply_opts *o, int dry)
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
 * Load the profile and its secrets (apply needs them all), and refuse a
 * profile that asks for a feature no step builds yet: plan shows it and
 * ends with EXIT_NOT_BUILT; apply refuses before it touches a machine,
 * rather than install the rest and leave the operator to find out later
 * that there are no backups.
 */
static int
run_load(struct run *r)
{
	const char	**vals;
	size_t		  nvals;
	int		  rc;

	/*
	 * Steps use libcurl, libpq and libssh, loaded on first use
	 * (lazylib.h): here, before any thread or dashboard, so that a
	 * missing one stops the run at once with its package's name.
	 */
	lazylib_require(LAZY_CURL);
	lazylib_require(LAZY_PQ);
	lazylib_require(LAZY_SSH);
	if ((rc = load_profile_checked(r->o->a.profile, &r->p, &r->s,
	    !r->dry)) != EXIT_OK)
		return rc;
	if ((r->nunbuilt = profile_print_unbuilt(&r->p, stderr)) > 0 &&
	    !r->dry) {
		fprintf(stderr, "dhis2-setup: %s asks for %s not built yet; "
		    "nothing was changed\n", r->p.path, r->nunbuilt == 1 ?
		    "a feature" : "features");
		return EXIT_NOT_BUILT;
	}
	/* Nothing the machines print reaches a log unredacted. */
	nvals = secrets_values(&r->s, &vals);
	events_set_redact(vals, nvals);
	return EXIT_OK;
}

/* The steps on each machine, cut to --only; plan --explain shows them. */
static int
run_plan(struct run *r)
{
	const struct run_opts	*o = r->o;
	char			*err = NULL;

	if (plan_build(&r->pl, &r->p, &err) == -1 || (o->a.only != NULL &&
	    plan_only(&r->pl, o->a.only, &err) == -1)) {
		fprintf(stderr, "dhis2-setup: %s: %s\n", o->a.profile, err);
		free(err);
		return EXIT_USAGE;
	}
	if (o->explain)
		print_explain(&r->pl, stdout);
	return EXIT_OK;
}

/* apply only: the journal (and its lock) and the transcript log. */
static int
run_journal(struct run *r)
{
	char	*err = NULL, *name;
	int	 rc;

	if ((rc = journal_open(&r->j, r->o->a.profile, &err)) != 0) {
		fprintf(stderr, "dhis2-setup: %s\n", err);
		free(err);
		return rc == EXIT_LOCKED ? EXIT_LOCKED : EXIT_INTERNAL;
	}
	name = journal_name(r->o->a.profile);
	if (log_open(name, &r->logpath, &err) == -1) {
		fprintf(stderr, "dhis2-setup: %s\n", err);
		free(err);
		free(name);
		return EXIT_INTERNAL;
	}
	free(name);
	/* A dropped terminal must not stop a half-done apply. */
	signal(SIGHUP, SIG_IGN);
	return EXIT_OK;
}

/* Who reads the events: the dashboard or plain lines, and --events-fd. */
static void
run_readers(struct run *r)
{
	const struct run_opts	*o = r->o;

	signal(SIGPIPE, SIG_IGN);
	if (!o->json && (r->dash = open_dashboard(&o->a, r->dry)) != NULL)
		r->dash_sub = events_subscribe(dashboard_event, r->dash);
	else if (!o->json && !global_opts.quiet)
		events_plain_subscribe(stdout, global_opts.verbose);
	if (o->a.events_fd != -1)
		events_json_subscribe(o->a.events_fd);
}

/*
 * apply only: the lock on every target (lock.h), before the first step;
 * EXIT_LOCKED with r->locked naming the holder, and nothing done.
 */
static int
run_lock_targets(struct run *r)
{
	char	*real, *line;
	int	 rc;

	real = journal_realpath(r->o->a.profile);
	rc = target_locks_take(&r->tl, &r->pl, real, &r->locked);
	free(real);
	if (rc != EXIT_OK) {
		xasprintf(&line, "refused: %s", r->locked);
		journal_finish(&r->j, line);
		free(line);
	}
	return rc;
}

/* Connect, then check (plan) or check, apply and verify every step. */
static void
run_engine(struct run *r)
{
	struct engine_opts	 eo;
	char			*text;

	r->collect = plan_collect_changes(&r->pl);
	if (r->j.previous != NULL)
		log_printf("the previous run stopped before it finished; "
		    "every step is checked again and only what is missing "
		    "is done");
	plan_connect(&r->pl, &r->p, r->o->a.accept_new);
	if (!r->dry && (r->lock_rc = run_lock_targets(r)) != EXIT_OK)
		return;
	emit_plan(&r->pl);
	emit_run(EV_RUN_START, r->o->a.profile, (int)r->pl.nsteps, NULL,
	    r->dry, r->logpath);
	memset(&eo, 0, sizeof eo);
	eo.jobs = r->o->a.jobs;
	eo.dry_run = r->dry;
	engine_run(&r->pl, &r->p, &r->s, &eo, &r->sum);
	target_locks_release(&r->tl);
	text = engine_summary_text(&r->sum, r->dry);
	emit_run(EV_RUN_END, text, (int)r->pl.nsteps, &r->sum, r->dry, NULL);
	if (!r->dry)
		journal_finish(&r->j, text);
	free(text);
}

/* What is left to say once the engine is done, and the exit code. */
static int
run_report(struct run *r)
{
	const struct run_opts	*o = r->o;
	int			 rc;

	if (r->dash != NULL) {
		/* Its report ends with the log's path. */
		events_unsubscribe(r->dash_sub);
		dashboard_close(r->dash, 1);
	}
	if (r->locked != NULL) {
		fprintf(stderr, "dhis2-setup: %s\n", r->locked);
		return r->lock_rc;
	}
	print_unreachable(&r->pl);
	if (o->is_plan && !o->json && !global_opts.quiet) {
		topology_print_matrix(&r->pl.topo, stdout);
		if (r->p.admin_network == NULL)
			printf("\nWARNING: no admin_network: SSH (port 22) "
			    "will be open to the whole internet; set "
			    "admin_network in the profile.\n");
	}
	if (o->json)
		plan_print_json(&r->pl, &r->p, stdout, 1);
	if (r->logpath != NULL && !global_opts.quiet && r->dash == NULL)
		fprintf(o->json ? stderr : stdout, "log: %s\n", r->logpath);
	rc = engine_exit_code(&r->sum);
	/* The plan was shown; what it lacks still decides the exit code. */
	if (rc == EXIT_OK && r->nunbuilt > 0)
		rc = EXIT_NOT_BUILT;
	return rc;
}

/*
 * plan and apply share everything but the journal, the log and whether
 * apply runs.
 */
static int
run(const struct run_opts *o)
{
	struct run	r;
	int		rc;

	memset(&r, 0, sizeof r);
	r.o = o;
	r.dry = o->is_plan || o->a.dry_run;
	r.dash_sub = -1;
	r.collect = -1;
	r.j.lockfd = -1;
	r.j.sub = -1;
	r.j.evfd = -1;
	r.j.evsub = -1;
	secrets_init(&r.s);
	if ((rc = run_load(&r)) != EXIT_OK) {
		profile_free(&r.p);
		secrets_free(&r.s);
		return rc;
	}
	if ((rc = run_plan(&r)) == EXIT_OK &&
	    (r.dry || (rc = run_journal(&r)) == EXIT_OK)) {
		run_readers(&r);
		run_engine(&r);
		rc = run_report(&r);
	}
	events_unsubscribe(r.collect);
	target_locks_release(&r.tl);
	free(r.locked);
	log_close();
	/* A run that could not be recorded is not reported as a success. */
	if (rc == EXIT_OK && (log_failed() || r.j.write_errno)) {
		fprintf(stderr, "dhis2-setup: the run could not be recorded in "
		    "full (see above; is the disk full?)\n");
		rc = EXIT_INTERNAL;
	}
	journal_close(&r.j);
	events_reset();
	plan_free(&r.pl);
	free(r.logpath);
	profile_free(&r.p);
	secrets_free(&r.s);
	return rc;
}

int
apply_run(const struct apply_opts *a)
{
	struct run_opts	o;

	memset(&o, 0, sizeof o);
	o.a = *a;
	return run(&o);
}

int
cmd_plan(int argc, char **argv)
{
	struct run_opts	o;

	if (parse_run_opts(argc, argv, &o, 1) == -1)
		return EXIT_USAGE;
	return run(&o);
}

int
cmd_apply(int argc, char **argv)
{
	struct run_opts	o;

	if (parse_run_opts(argc, argv, &o, 0) == -1)
		return EXIT_USAGE;
	return apply_run(&o.a);
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
