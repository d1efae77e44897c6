/*
 * Unit tests of memory sizing (engine/tuning.c) against the DHIS2 docs'
 * 8 GB example and the bounds in docs/tuning.md, and of one node's
 * sizing (engine/sizing.c): who shares its RAM.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"
#include "profile.h"
#include "sizing.h"
#include "topology.h"
#include "tuning.h"

/*
 * Derives the settings for a database server of ram_mb and checks the
 * three memory settings that scale with it.
 */
static void
derive_expect(long long ram_mb, struct pg_settings *s, int shared_buffers_mb,
    int work_mem_mb, int maintenance_work_mem_mb)
{
	pg_settings_derive(ram_mb, NULL, s);
	assert_int_equal(s->shared_buffers_mb, shared_buffers_mb);
	assert_int_equal(s->work_mem_mb, work_mem_mb);
	assert_int_equal(s->maintenance_work_mem_mb, maintenance_work_mem_mb);
}

static void
test_docs_example(void **state)
{
	struct pg_settings	s;

	/* The docs' 8 GB database server. */
	derive_expect(8192, &s, 2048, 24, 1024);
	assert_int_equal(s.effective_cache_size_mb, 6144);
	assert_int_equal(s.max_connections, 200);
}

static void
test_bounds(void **state)
{
	struct pg_settings	s;

	derive_expect(1024, &s, 256, 4, 128);
	derive_expect(16384, &s, 4096, 48, 2048);
	derive_expect(512 * 1024, &s, 32768, 64, 2048);
	assert_true(s.effective_cache_size_mb > s.shared_buffers_mb);
}

static void
test_explicit_values_win(void **state)
{
	struct db_tuning	t;
	struct pg_settings	s;

	memset(&t, 0, sizeof t);
	t.shared_buffers_mb = 3072;
	t.max_connections = 300;
	pg_settings_derive(8192, &t, &s);
	assert_int_equal(s.shared_buffers_mb, 3072);
	assert_int_equal(s.max_connections, 300);
	assert_int_equal(s.work_mem_mb, 24);	/* still derived */
}

static void
test_memory_split(void **state)
{
	long long	db, app;

	memory_split(16384, 1, 1, &db, &app);
	assert_int_equal(db + app, 16384 - 1024);
	assert_int_equal(db, (16384 - 1024) * 45 / 100);
	memory_split(16384, 1, 5, &db, &app);
	assert_int_equal(db, (16384 - 1024) * 35 / 100);
	memory_split(16384, 0, 1, &db, &app);
	assert_int_equal(db, 16384 - 1024);
	assert_int_equal(app, 16384 - 1024);
	memory_split(512, 1, 0, &db, &app);	/* tiny: never negative */
	assert_true(db > 0 && app > 0);
}

static void
test_heap(void **state)
{
	assert_int_equal(tomcat_heap_mb(8192, 1), 6144);
	assert_int_equal(tomcat_heap_mb(8192, 2), 3072);
	assert_int_equal(tomcat_heap_mb(1000, 4), 1024);	/* floor */
	assert_int_equal(tomcat_heap_mb(256 * 1024, 1), 31 * 1024);
	assert_int_equal(tomcat_heap_mb(8192, 0), 6144);
}

/*
 * Sizes n of p with ram_mb where PostgreSQL and Tomcat share it: the
 * shares, the Tomcats and the heap as given.
 */
static void
sizing_shared_expect(struct sizing *s, const struct profile *p,
    const struct topo_node *n, long long ram_mb, long long db_mb,
    long long app_mb, size_t ntomcats, long long heap_mb)
{
	sizing_node(s, p, n, ram_mb);
	assert_true(s->db_shares && s->app_shares);
	assert_int_equal(s->db_mb, db_mb);
	assert_int_equal(s->app_mb, app_mb);
	assert_int_equal(s->ntomcats, ntomcats);
	assert_int_equal(s->heap_mb, heap_mb);
}

static void
test_sizing(void **state)
{
	struct instance		in[2];
	struct profile		p;
	struct topo_node	n;
	struct sizing		s;

	memset(in, 0, sizeof in);
	memset(&p, 0, sizeof p);
	memset(&n, 0, sizeof n);
	in[0].nodes = 1;
	in[1].nodes = 2;
	p.instances = in;
	p.ninstances = 1;
	n.instance = TOPO_NONE;

	/* One server: everything shares 16 GB less the OS's 1 GB. */
	p.isolation = ISOLATION_SINGLE_HOST;
	n.roles = ROLE_BIT(ROLE_APP) | ROLE_BIT(ROLE_DATABASE);
	sizing_shared_expect(&s, &p, &n, 16384, 6912, 8448, 1, 6144);
	/* No RAM reported: the default. */
	sizing_node(&s, &p, &n, 0);
	assert_int_equal(s.ram_mb, SIZING_DEFAULT_RAM_MB);
	assert_int_equal(s.db_mb, 1382);
	assert_int_equal(s.heap_mb, 1024);

	/* Machines: a database alone has it all; an app alone too. */
	p.isolation = ISOLATION_MACHINES;
	n.roles = ROLE_BIT(ROLE_DATABASE);
	sizing_node(&s, &p, &n, 16384);
	assert_false(s.db_shares);
	assert_int_equal(s.db_mb, 15360);
	n.roles = ROLE_BIT(ROLE_APP);
	sizing_node(&s, &p, &n, 16384);
	assert_false(s.app_shares);
	assert_int_equal(s.app_mb, 15360);
	assert_int_equal(s.heap_mb, 11520);
	/* App and replica: PostgreSQL takes its share, Tomcat does not. */
	n.roles = ROLE_BIT(ROLE_APP) | ROLE_BIT(ROLE_REPLICA);
	sizing_node(&s, &p, &n, 16384);
	assert_true(s.db_shares);
	assert_false(s.app_shares);
	assert_int_equal(s.db_mb, 6912);
	assert_int_equal(s.app_mb, 15360);

	/* LXC: one instance's container splits the host's with all three. */
	p.isolation = ISOLATION_LXC;
	p.ninstances = 2;
	n.roles = ROLE_BIT(ROLE_APP);
	n.instance = 0;
	sizing_shared_expect(&s, &p, &n, 16384, 6144, 9216, 3, 2304);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docs_example),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_explicit_values_win),
		cmocka_unit_test(test_memory_split),
		cmocka_unit_test(test_heap),
		cmocka_unit_test(test_sizing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
