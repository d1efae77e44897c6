/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * libcurl, libpq and libssh loaded on first use (see lazylib.h).  Each
 * function listed in lazy_*.h is defined here with the library's own
 * prototype (its header is included, so a wrong line does not compile):
 * it loads the library once and calls the library's function through a
 * pointer that dlsym resolved.  The binary itself names none of the three
 * (`readelf -d dhis2-setup`), so a start that needs none of them does not
 * map them, their dependencies, or run their constructors.
 */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

/* The gcc type checks turn curl_easy_setopt into a macro; defined here. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <libpq-fe.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include "core.h"
#include "lazylib.h"
#include "lazy_curl.h"
#include "lazy_pq.h"
#include "lazy_ssh.h"

#ifndef CURL_SONAME
#define CURL_SONAME	"libcurl.so.4"
#endif
#ifndef PQ_SONAME
#define PQ_SONAME	"libpq.so.5"
#endif
#ifndef SSH_SONAME
#define SSH_SONAME	"libssh.so.4"
#endif

struct lazylib_info lazylib_info[LAZY_NLIBS] = {
	[LAZY_CURL] = { CURL_SONAME, "libcurl4" },
	[LAZY_PQ] = { PQ_SONAME, "libpq5" },
	[LAZY_SSH] = { SSH_SONAME, "libssh-4" },
};

/* dlsym gives a void *; the pointers it fills are function pointers. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
    "function and object pointers differ in size");

/* One pointer per listed function, filled once by the library's loader. */
#define PTR_FN(ret, name, params, args)	ret (*name) params;
#define PTR_VOID(name, params, args)	void (*name) params;
#define PTR_HAND(ret, name, params)	ret (*name) params;
static struct {
	LAZY_CURL_FUNCS(PTR_FN, PTR_VOID, PTR_HAND)
} curl_fn;
static struct {
	LAZY_PQ_FUNCS(PTR_FN, PTR_VOID, PTR_HAND)
} pq_fn;
static struct {
	LAZY_SSH_FUNCS(PTR_FN, PTR_VOID, PTR_HAND)
} ssh_fn;

struct sym {
	const char	*name;
	void		*slot;	/* the pointer above that it fills */
};
#define SYM_CURL(ret, name, ...)	{ #name, &curl_fn.name },
#define SYMV_CURL(name, ...)		{ #name, &curl_fn.name },
#define SYM_PQ(ret, name, ...)		{ #name, &pq_fn.name },
#define SYMV_PQ(name, ...)		{ #name, &pq_fn.name },
#define SYM_SSH(ret, name, ...)		{ #name, &ssh_fn.name },
#define SYMV_SSH(name, ...)		{ #name, &ssh_fn.name },
static const struct sym curl_syms[] = {
	LAZY_CURL_FUNCS(SYM_CURL, SYMV_CURL, SYM_CURL)
};
static const struct sym pq_syms[] = {
	LAZY_PQ_FUNCS(SYM_PQ, SYMV_PQ, SYM_PQ)
};
static const struct sym ssh_syms[] = {
	LAZY_SSH_FUNCS(SYM_SSH, SYMV_SSH, SYM_SSH)
};

static void	load_curl(void);
static void	load_pq(void);
static void	load_ssh(void);

static struct {
	pthread_once_t	  once;
	void		(*load)(void);
	const struct sym *syms;
	size_t		  nsyms;
	char		 *err;	/* why it could not be loaded */
} lib[LAZY_NLIBS] = {
	[LAZY_CURL] = { PTHREAD_ONCE_INIT, load_curl, curl_syms,
	    sizeof curl_syms / sizeof curl_syms[0], NULL },
	[LAZY_PQ] = { PTHREAD_ONCE_INIT, load_pq, pq_syms,
	    sizeof pq_syms / sizeof pq_syms[0], NULL },
	[LAZY_SSH] = { PTHREAD_ONCE_INIT, load_ssh, ssh_syms,
	    sizeof ssh_syms / sizeof ssh_syms[0], NULL },
};

/* Called once per library, under its pthread_once. */
static void
load(enum lazylib l)
{
	const struct lazylib_info	*in = &lazylib_info[l];
	void				*h, *p;
	const char			*e;
	size_t				 i;

	if ((h = dlopen(in->soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		e = dlerror();
		xasprintf(&lib[l].err, "cannot load %s (%s): install the "
		    "Debian package %s (apt-get install %s)", in->soname,
		    e != NULL ? e : "not found", in->package, in->package);
		return;
	}
	for (i = 0; i < lib[l].nsyms; i++) {
		if ((p = dlsym(h, lib[l].syms[i].name)) == NULL) {
			xasprintf(&lib[l].err, "%s has no %s: install the "
			    "current version of the Debian package %s",
			    in->soname, lib[l].syms[i].name, in->package);
			dlclose(h);
			return;
		}
		memcpy(lib[l].syms[i].slot, &p, sizeof p);
	}
	/* Under the once: curl's global set-up is not for concurrent use. */
	if (l == LAZY_CURL &&
	    curl_fn.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		xasprintf(&lib[l].err, "%s could not be initialised",
		    in->soname);
}

static void
load_curl(void)
{
	load(LAZY_CURL);
}

static void
load_pq(void)
{
	load(LAZY_PQ);
}

static void
load_ssh(void)
{
	load(LAZY_SSH);
}

int
lazylib_load(enum lazylib l, char **err)
{
	pthread_once(&lib[l].once, lib[l].load);
	if (lib[l].err == NULL)
		return 0;
	if (err != NULL)
		*err = xstrdup(lib[l].err);
	return -1;
}

void
lazylib_require(enum lazylib l)
{
	pthread_once(&lib[l].once, lib[l].load);
	if (lib[l].err != NULL)
		fatalx("%s", lib[l].err);
}

/* The definitions: load on the first call, then forward. */
#define DEF_FN(l, fns, ret, name, params, args)			\
	ret name params							\
	{								\
		lazylib_require(l);					\
		return fns.name args;					\
	}
#define DEF_VOID(l, fns, name, params, args)				\
	void name params						\
	{								\
		lazylib_require(l);					\
		fns.name args;						\
	}
#define DEF_HAND(ret, name, params)	/* below */

#define CURL_FN(ret, name, params, args) \
	DEF_FN(LAZY_CURL, curl_fn, ret, name, params, args)
#define CURL_VOID(name, params, args) \
	DEF_VOID(LAZY_CURL, curl_fn, name, params, args)
LAZY_CURL_FUNCS(CURL_FN, CURL_VOID, DEF_HAND)

#define PQ_FN(ret, name, params, args) \
	DEF_FN(LAZY_PQ, pq_fn, ret, name, params, args)
#define PQ_VOID(name, params, args) \
	DEF_VOID(LAZY_PQ, pq_fn, name, params, args)
LAZY_PQ_FUNCS(PQ_FN, PQ_VOID, DEF_HAND)

#define SSH_FN(ret, name, params, args) \
	DEF_FN(LAZY_SSH, ssh_fn, ret, name, params, args)
#define SSH_VOID(name, params, args) \
	DEF_VOID(LAZY_SSH, ssh_fn, name, params, args)
LAZY_SSH_FUNCS(SSH_FN, SSH_VOID, DEF_HAND)

/*
 * curl_easy_setopt takes one argument after the option, whose type the
 * option's number range says (curl.h's CURLOPTTYPE_*): a long, an object
 * pointer (strings, lists, callback data), a function pointer, a
 * curl_off_t, or a blob pointer.  It is read as that type and passed on.
 */
typedef void (*lazy_fnptr)(void);

CURLcode
(curl_easy_setopt)(CURL *c, CURLoption option, ...)
{
	va_list		ap;
	CURLcode	rc;

	lazylib_require(LAZY_CURL);
	va_start(ap, option);
	if (option < CURLOPTTYPE_OBJECTPOINT)
		rc = curl_fn.curl_easy_setopt(c, option, va_arg(ap, long));
	else if (option < CURLOPTTYPE_FUNCTIONPOINT)
		rc = curl_fn.curl_easy_setopt(c, option, va_arg(ap, void *));
	else if (option < CURLOPTTYPE_OFF_T)
		rc = curl_fn.curl_easy_setopt(c, option,
		    va_arg(ap, lazy_fnptr));
	else if (option < CURLOPTTYPE_BLOB)
		rc = curl_fn.curl_easy_setopt(c, option,
		    va_arg(ap, curl_off_t));
	else
		rc = curl_fn.curl_easy_setopt(c, option,
		    va_arg(ap, struct curl_blob *));
	va_end(ap);
	return rc;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode
(curl_easy_getinfo)(CURL *c, CURLINFO info, ...)
{
	va_list	 ap;
	void	*p;

	lazylib_require(LAZY_CURL);
	va_start(ap, info);
	p = va_arg(ap, void *);
	va_end(ap);
	return curl_fn.curl_easy_getinfo(c, info, p);
}
