/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The engine: worker threads take ready step instances off the plan.  A
 * step is ready when every dependency is done and its machine is idle; a
 * machine runs one step at a time because its SSH session is one channel
 * of work and steps on one machine touch the same package database.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "engine.h"
#include "events.h"
#include "planner.h"
#include "sizing.h"
#include "step.h"
#include "transport.h"

#define ENGINE_DEFAULT_JOBS	4
#define ENGINE_MAX_JOBS		64

struct engine {
	struct plan		*pl;
	const struct profile	*profile;
	const struct secrets	*secrets;
	const struct engine_opts *opts;
	struct engine_summary	*sum;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	int			*busy;		/* per machine */
	int			 done;
};

static void
emit_result(struct engine *e, struct plan_step *ps)
{
	struct event	ev = { .type = EV_STEP_RESULT };

	ev.machine = e->pl->machines[ps->machine].name;
	ev.step = ps->step->name;
	ev.result = ps->result;
	ev.text = ps->msg;
	ev.dry_run = e->opts->dry_run;
	events_emit(&ev);
}

static void
emit_progress(struct engine *e)
{
	struct event	ev = { .type = EV_PROGRESS };

	ev.done = e->done;
	ev.total = (int)e->pl->nsteps;
	events_emit(&ev);
}

/* Reach the machine and read its facts and sizing, once. */
static int
engine_reach(struct engine *e, struct plan_machine *pm)
{
	struct event	 ev = { .type = EV_MACHINE };
	char		*err = NULL, *text;
	const struct facts *f;
	int		 rc;

	if (pm->unreachable)
		return -1;
	if (pm->facts.probed)
		return 0;
	if ((rc = facts_probe(&pm->facts, pm->t, &err)) != 0) {
		pm->unreachable = 1;
		pm->error = err != NULL ? err : xstrdup("cannot reach");
		if (rc == TRANSPORT_ERR_UNREACHABLE)
			e->sum->unreachable++;
		return -1;
	}
	f = &pm->facts;
	/* Machine i is node i: size it once, now that its RAM is known. */
	sizing_node(&pm->size, e->profile,
	    &e->pl->topo.nodes[pm - e->pl->machines], f->mem_mb);
	xasprintf(&text, "%s %s, %lld MB, %d CPUs, %s, virt %s",
	    f->os_id, f->os_version, f->mem_mb, f->cpus,
	    f->systemd ? "systemd" : "no systemd", f->virt);
	ev.machine = pm->name;
	ev.text = text;
	events_emit(&ev);
	free(text);
	return 0;
}

/* Would the host's step (lxc) make and start this container? */
static int
container_pending(struct engine *e, const struct plan_machine *pm)
{
	const struct plan_step	*s;
	size_t			 i;

	for (i = 0; i < e->pl->nsteps; i++) {
		s = &e->pl->steps[i];
		if (s->machine == pm->parent &&
		    (s->step->flags & STEP_LXC_HOST))
			return s->state == PS_DONE &&
			    s->result == RESULT_CHANGED;
	}
	return 0;
}

/*
 * With the lock held: the steps still to run on ps's machine, for its
 * first package install (one apt transaction per machine).
 */
static const struct step **
later_steps(struct engine *e, const struct plan_step *ps)
{
	const struct step	**v;
	size_t			  i, n = 0;

	v = xcalloc(e->pl->nsteps + 1, sizeof *v);
	for (i = 0; i < e->pl->nsteps; i++) {
		if (e->pl->steps[i].machine == ps->machine &&
		    e->pl->steps[i].state == PS_PENDING)
			v[n++] = e->pl->steps[i].step;
	}
	v[n] = NULL;
	return v;
}

/*
 * The FILE.prev that step_put() keeps of a file others cannot read (it
 * may hold secrets: dhis.conf, a Redis or SMTP password, a private key)
 * serves step_roll_back() while the step runs; once the step is done
 * (done: it did not fail) it goes, so that a rotated secret is not kept
 * on the machine.  A failed step leaves it for the operator.
 */
static void
forget_prev(struct step_ctx *ctx, int done)
{
	static const char script[] =
	    "for f in \"$@\"; do rm -f -- \"$f.prev\"; done\n";
	char	**argv, *err = NULL;
	size_t	  i;

	if (ctx->nprivate_puts == 0)
		return;
	argv = xcalloc(ctx->nprivate_puts + 5, sizeof *argv);
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = (char *)script;
	argv[3] = "sh";
	for (i = 0; i < ctx->nprivate_puts; i++)
		argv[4 + i] = ctx->private_puts[i];
	if (done && transport_run(ctx->t, argv, NULL, 0, NULL, &err) != 0)
		events_note("cannot remove the previous copies of files with "
		    "secrets: %s", err != NULL ? err : "rm failed");
	free(err);
	free(argv);
	for (i = 0; i < ctx->nprivate_puts; i++)
		free(ctx->private_puts[i]);
	free(ctx->private_puts);
	ctx->private_puts = NULL;
	ctx->nprivate_puts = 0;
}

static void
run_instance(struct engine *e, struct plan_step *ps,
    const struct step *const *later)
{
	struct plan_machine	*pm = &e->pl->machines[ps->machine];
	struct step_ctx		 ctx;
	struct event		 ev = { .type = EV_STEP_START };
	enum result		 r;

	events_set_context(pm->name, ps->step->name);
	ev.machine = pm->name;
	ev.step = ps->step->name;
	events_emit(&ev);
	if (engine_reach(e, pm) == -1) {
		/*
		 * A plan for containers not made yet: the host's lxc step
		 * would make them, so their steps cannot be checked now.
		 */
		if (pm->kind == PLAN_LXC && e->opts->dry_run &&
		    container_pending(e, pm)) {
			ps->result = RESULT_SKIPPED;
			xasprintf(&ps->msg, "container %s is made first by the "
			    "lxc step on %s", pm->lxc_name,
			    e->pl->machines[pm->parent].name);
			/* Not a fault: no "cannot reach" for it at the end. */
			free(pm->error);
			pm->error = NULL;
			pm->unreachable = 0;
		} else {
			ps->result = RESULT_FAILED;
			xasprintf(&ps->msg, "%s", pm->error);
		}
		events_set_context(NULL, NULL);
		return;
	}
	memset(&ctx, 0, sizeof ctx);
	ctx.profile = e->profile;
	ctx.secrets = e->secrets;
	ctx.t = pm->t;
	ctx.facts = &pm->facts;
	ctx.size = &pm->size;
	ctx.apt_updated = &pm->apt_updated;
	ctx.machine = pm->name;
	ctx.topo = &e->pl->topo;
	ctx.node = ps->machine;
	ctx.roles = pm->roles;
	ctx.dry_run = e->opts->dry_run;
	ctx.later = later;

	r = ps->step->check(&ctx);
	if (r == RESULT_CHANGED && !ctx.dry_run) {
		ctx.changes = 0;
		r = ps->step->apply(&ctx);
		if (r == RESULT_CHANGED && ps->step->verify != NULL)
			r = ps->step->verify(&ctx);
		if (r == RESULT_OK)
			r = RESULT_CHANGED;	/* apply did run */
	}
	forget_prev(&ctx, r != RESULT_FAILED);
	ps->result = r;
	ps->changes = ctx.changes;
	ps->msg = ctx.msg;
	events_set_context(NULL, NULL);
}

/* With the lock held: a dependency that did not succeed skips us. */
static const struct plan_step *
failed_dep(struct engine *e, struct plan_step *ps, int *waiting)
{
	struct plan_step	*d;
	size_t			 i;

	*waiting = 0;
	for (i = 0; i < ps->ndeps; i++) {
		d = &e->pl->steps[ps->deps[i]];
		if (d->state != PS_DONE) {
			*waiting = 1;
			continue;
		}
		if (d->result == RESULT_FAILED || d->dep_failed)
			return d;
		/* In a dry run, a step that would change leaves later checks
		 * looking at the old state: they still run, to show all. */
	}
	return NULL;
}

static struct plan_step *
next_ready(struct engine *e, int *pending)
{
	struct plan_step	*ps;
	const struct plan_step	*bad;
	size_t			 i;
	int			 waiting;

	*pending = 0;
	for (i = 0; i < e->pl->nsteps; i++) {
		ps = &e->pl->steps[i];
		if (ps->state != PS_PENDING)
			continue;
		(*pending)++;
		if ((bad = failed_dep(e, ps, &waiting)) != NULL) {
			ps->state = PS_DONE;
			ps->result = RESULT_SKIPPED;
			ps->dep_failed = 1;
			xasprintf(&ps->msg, "because %s on %s %s",
			    bad->step->name, e->pl->machines[bad->machine].name,
			    bad->dep_failed ? "was not run" : "failed");
			e->done++;
			e->sum->counts[RESULT_SKIPPED]++;
			emit_result(e, ps);
			emit_progress(e);
			pthread_cond_broadcast(&e->cond);
			i = (size_t)-1;	/* dependents of it may now skip */
			*pending = 0;
			continue;
		}
		if (waiting || e->busy[ps->machine])
			continue;
		return ps;
	}
	return NULL;
}

static void *
worker(void *arg)
{
	struct engine		*e = arg;
	struct plan_step	*ps;
	const struct step	**later;
	int			 pending;

	pthread_mutex_lock(&e->lock);
	for (;;) {
		ps = next_ready(e, &pending);
		if (ps == NULL) {
			if (pending == 0)
				break;
			pthread_cond_wait(&e->cond, &e->lock);
			continue;
		}
		ps->state = PS_RUNNING;
		e->busy[ps->machine] = 1;
		later = later_steps(e, ps);
		pthread_mutex_unlock(&e->lock);

		run_instance(e, ps, later);
		free(later);

		pthread_mutex_lock(&e->lock);
		ps->state = PS_DONE;
		e->busy[ps->machine] = 0;
		e->done++;
		if ((unsigned)ps->result < RESULT_COUNT)
			e->sum->counts[ps->result]++;
		e->sum->changes += ps->changes;
		emit_result(e, ps);
		emit_progress(e);
		pthread_cond_broadcast(&e->cond);
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

void
engine_run(struct plan *pl, const struct profile *p,
    const struct secrets *s, const struct engine_opts *opts,
    struct engine_summary *sum)
{
	struct engine	 e;
	pthread_t	 th[ENGINE_MAX_JOBS];
	int		 jobs, i, started = 0;

	memset(sum, 0, sizeof *sum);
	memset(&e, 0, sizeof e);
	e.pl = pl;
	e.profile = p;
	e.secrets = s;
	e.opts = opts;
	e.sum = sum;
	e.busy = xcalloc(pl->nmachines + 1, sizeof *e.busy);
	pthread_mutex_init(&e.lock, NULL);
	pthread_cond_init(&e.cond, NULL);

	jobs = opts->jobs > 0 ? opts->jobs : ENGINE_DEFAULT_JOBS;
	if (jobs > ENGINE_MAX_JOBS)
		jobs = ENGINE_MAX_JOBS;
	if ((size_t)jobs > pl->nmachines)
		jobs = (int)pl->nmachines;
	for (i = 1; i < jobs; i++) {
		if (pthread_create(&th[i], NULL, worker, &e) != 0)
			break;
		started = i;
	}
	worker(&e);	/* this thread is a worker too */
	for (i = 1; i <= started; i++)
		pthread_join(th[i], NULL);

	pthread_cond_destroy(&e.cond);
	pthread_mutex_destroy(&e.lock);
	free(e.busy);
}

int
engine_exit_code(const struct engine_summary *sum)
{
	if (sum->unreachable > 0)
		return EXIT_UNREACHABLE;
	if (sum->counts[RESULT_FAILED] > 0)
		return EXIT_STEP_FAILED;
	return EXIT_OK;
}

char *
engine_summary_text(const struct engine_summary *sum, int dry_run)
{
	char	*s;

	xasprintf(&s, "%s: %d ok, %d %s, %d skipped, %d failed%s",
	    dry_run ? "plan" : "summary", sum->counts[RESULT_OK],
	    sum->counts[RESULT_CHANGED], dry_run ? "would change" : "changed",
	    sum->counts[RESULT_SKIPPED], sum->counts[RESULT_FAILED],
	    sum->unreachable > 0 ? " (a machine could not be reached)" : "");
	return s;
}
