/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The libpq functions dhis2-setup calls, loaded on first use by
 * lazylib.c; the line format is lazy_curl.h's.
 */
#define LAZY_PQ_FUNCS(FN, VOID, HAND)					\
	FN(PGconn *, PQconnectdbParams, (const char *const *keywords,	\
	    const char *const *values, int expand_dbname),		\
	    (keywords, values, expand_dbname))				\
	FN(ConnStatusType, PQstatus, (const PGconn *conn), (conn))	\
	FN(char *, PQerrorMessage, (const PGconn *conn), (conn))	\
	FN(PGresult *, PQexec, (PGconn *conn, const char *query),	\
	    (conn, query))						\
	FN(ExecStatusType, PQresultStatus, (const PGresult *res), (res)) \
	FN(int, PQntuples, (const PGresult *res), (res))		\
	FN(char *, PQgetvalue, (const PGresult *res, int tup_num,	\
	    int field_num), (res, tup_num, field_num))			\
	VOID(PQclear, (PGresult *res), (res))				\
	VOID(PQfinish, (PGconn *conn), (conn))
