/*
 * Unit tests of the libraries loaded on first use (lib/lazylib.c): none
 * is loaded before a call, each call reaches the real library (every
 * argument type of curl_easy_setopt), first calls from several threads,
 * and a library that cannot be loaded or lacks a function gives the
 * message with its Debian package, or exit 70 with it, never a crash.
 */
#include "config.h"

#include <sys/wait.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <libpq-fe.h>
#include <libssh/libssh.h>

#include "core.h"
#include "lazylib.h"

static int
is_loaded(enum lazylib l)
{
	void	*h = dlopen(lazylib_info[l].soname, RTLD_LAZY | RTLD_NOLOAD);

	if (h == NULL)
		return 0;
	dlclose(h);
	return 1;
}

/* First: linking the program loaded none of them. */
static void
test_not_loaded_before_use(void **state)
{
	assert_false(is_loaded(LAZY_CURL));
	assert_false(is_loaded(LAZY_PQ));
	assert_false(is_loaded(LAZY_SSH));
}

/*
 * In a child (the parent has not loaded anything yet): run fn with stderr
 * in a file; its exit status and what it wrote.
 */
static int
in_child(void (*fn)(void), char *out, size_t outlen)
{
	char	 path[] = "/tmp/test_lazylib.XXXXXX";
	int	 fd, status;
	ssize_t	 n;
	pid_t	 pid;

	assert_true((fd = mkstemp(path)) != -1);
	unlink(path);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		dup2(fd, STDERR_FILENO);
		fn();
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	n = pread(fd, out, outlen - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return status;
}

static void
missing_soft(void)
{
	char	*err = NULL;

	lazylib_info[LAZY_PQ].soname = "libdhis2-setup-missing.so.0";
	if (lazylib_load(LAZY_PQ, &err) != -1)
		_exit(10);
	/* Asked again: the same answer, no second attempt to crash on. */
	free(err);
	if (lazylib_load(LAZY_PQ, &err) != -1)
		_exit(11);
	fprintf(stderr, "%s\n", err);
	free(err);
	/* The others are not affected. */
	if (lazylib_load(LAZY_CURL, NULL) != 0)
		_exit(12);
}

static void
missing_call(void)
{
	lazylib_info[LAZY_PQ].soname = "libdhis2-setup-missing.so.0";
	(void)PQstatus(NULL);
	_exit(13);	/* not reached: the call exits */
}

static void
missing_function(void)
{
	/* libpq has no ssh_new: as an old libssh lacking a function. */
	lazylib_info[LAZY_SSH].soname = lazylib_info[LAZY_PQ].soname;
	(void)ssh_new();
	_exit(14);
}

static void
test_missing_library(void **state)
{
	char	out[2048];
	int	status;

	status = in_child(missing_soft, out, sizeof out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(out, "cannot load libdhis2-setup-missing.so.0"));
	assert_non_null(strstr(out, "apt-get install libpq5"));

	status = in_child(missing_call, out, sizeof out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EXIT_INTERNAL);
	assert_non_null(strstr(out, "install the Debian package libpq5"));

	status = in_child(missing_function, out, sizeof out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EXIT_INTERNAL);
	assert_non_null(strstr(out, "has no ssh_new"));
	assert_non_null(strstr(out, "libssh-4"));

	/* The children's loads stayed theirs. */
	assert_false(is_loaded(LAZY_PQ));
	assert_false(is_loaded(LAZY_SSH));
}

static void *
first_calls(void *arg)
{
	CURL	*c;
	int	 i;

	for (i = 0; i < 20; i++) {
		if ((c = curl_easy_init()) == NULL)
			return NULL;
		curl_easy_cleanup(c);
	}
	return arg;
}

/* The first calls race from several threads: one load, no crash. */
static void
test_threads(void **state)
{
	pthread_t	t[4];
	void		*ret;
	int		 i, id[4];

	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, first_calls,
		    &id[i]), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_ptr_equal(ret, &id[i]);
	}
	assert_true(is_loaded(LAZY_CURL));
}

struct got {
	char	buf[64];
	size_t	len;
};

static size_t
write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct got	*g = arg;

	if (g->len + size * n > sizeof g->buf)
		return 0;
	memcpy(g->buf + g->len, p, size * n);
	g->len += size * n;
	return size * n;
}

/* A file:// transfer through every kind of curl_easy_setopt argument. */
static void
test_curl(void **state)
{
	static const char	 text[] = "twenty-four bytes here!\n";
	static const char	 pem[] = "not a certificate";
	char			 path[] = "/tmp/test_lazylib.XXXXXX", *url;
	char			 errbuf[CURL_ERROR_SIZE];
	struct curl_blob	 blob = { (void *)pem, sizeof pem - 1,
				     CURL_BLOB_COPY };
	struct curl_slist	*l = NULL;
	struct got		 g;
	curl_off_t		 size = -1;
	long			 code = -1;
	CURL			*c;
	int			 fd;

	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(write(fd, text, sizeof text - 1), sizeof text - 1);
	close(fd);
	xasprintf(&url, "file://%s", path);

	memset(&g, 0, sizeof g);
	assert_non_null(c = curl_easy_init());
	/* object pointers, a function pointer, a long, an off_t, a blob */
	assert_int_equal(curl_easy_setopt(c, CURLOPT_URL, url), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf),
	    CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb),
	    CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_WRITEDATA, &g), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)1000), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob),
	    CURLE_OK);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	assert_int_equal(g.len, sizeof text - 1);
	assert_memory_equal(g.buf, text, g.len);
	assert_int_equal(curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &size),
	    CURLE_OK);
	assert_int_equal(size, sizeof text - 1);
	assert_int_equal(curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code),
	    CURLE_OK);
	assert_int_equal(code, 0);

	/* An off_t reaches curl whole: resume from byte 12. */
	memset(&g, 0, sizeof g);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE,
	    (curl_off_t)12), CURLE_OK);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	assert_int_equal(g.len, sizeof text - 1 - 12);
	assert_memory_equal(g.buf, text + 12, g.len);
	curl_easy_cleanup(c);

	assert_string_equal(curl_easy_strerror(CURLE_OK), "No error");
	assert_non_null(l = curl_slist_append(l, "X-Test: 1"));
	assert_string_equal(l->data, "X-Test: 1");
	curl_slist_free_all(l);
	unlink(path);
	free(url);
}

static void
test_pq(void **state)
{
	const char *const	 keys[] = { "host", "dbname", NULL };
	const char *const	 vals[] = { "/nonexistent-test-lazylib", "x",
				     NULL };
	PGconn			*conn;

	assert_false(is_loaded(LAZY_PQ));
	assert_non_null(conn = PQconnectdbParams(keys, vals, 0));
	assert_true(is_loaded(LAZY_PQ));
	assert_int_equal(PQstatus(conn), CONNECTION_BAD);
	assert_non_null(strstr(PQerrorMessage(conn),
	    "/nonexistent-test-lazylib"));
	PQfinish(conn);
}

static void
test_ssh(void **state)
{
	ssh_session	s;

	assert_false(is_loaded(LAZY_SSH));
	assert_non_null(s = ssh_new());
	assert_true(is_loaded(LAZY_SSH));
	assert_int_equal(ssh_options_set(s, SSH_OPTIONS_HOST, "127.0.0.1"),
	    SSH_OK);
	assert_non_null(ssh_get_error(s));
	assert_string_equal(ssh_key_type_to_char(SSH_KEYTYPE_ED25519),
	    "ssh-ed25519");
	ssh_free(s);
}

int
main(void)
{
	/* In this order: the first two need nothing loaded yet. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_loaded_before_use),
		cmocka_unit_test(test_missing_library),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_curl),
		cmocka_unit_test(test_pq),
		cmocka_unit_test(test_ssh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
