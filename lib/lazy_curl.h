/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The libcurl functions dhis2-setup calls, loaded on first use by
 * lazylib.c (see lazylib.h).  One line per function:
 *
 *   FN(return type, name, (parameters), (call arguments))
 *   VOID(name, (parameters), (call arguments))	returns nothing
 *   HAND(return type, name, (parameters))	variadic: forwarded by hand
 *					in lazylib.c
 *
 * The parameters are curl.h's own: lazylib.c includes it, so a line that
 * disagrees with the library's prototype does not compile.  A function
 * called anywhere in the tree must be listed here, or the link fails.
 */
#define LAZY_CURL_FUNCS(FN, VOID, HAND)					\
	FN(CURLcode, curl_global_init, (long flags), (flags))		\
	FN(CURL *, curl_easy_init, (void), ())				\
	HAND(CURLcode, curl_easy_setopt,				\
	    (CURL *c, CURLoption option, ...))				\
	HAND(CURLcode, curl_easy_getinfo, (CURL *c, CURLINFO info, ...)) \
	FN(CURLcode, curl_easy_perform, (CURL *c), (c))			\
	VOID(curl_easy_cleanup, (CURL *c), (c))				\
	FN(const char *, curl_easy_strerror, (CURLcode code), (code))	\
	FN(struct curl_slist *, curl_slist_append,			\
	    (struct curl_slist *list, const char *s), (list, s))	\
	VOID(curl_slist_free_all, (struct curl_slist *list), (list))
