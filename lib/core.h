/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Shared helpers of the core: memory, strings, checked number parsing,
 * exit codes, secrets.  One header for the directory, prototypes grouped
 * by file, in the manner of tmux.h.
 */
#ifndef CORE_H
#define CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * Exit codes, documented in --help and dhis2-setup(8).  Only main() exits.
 */
#define EXIT_OK		0	/* everything succeeded (or converged) */
#define EXIT_STEP_FAILED 1	/* a step failed; the rest was run or skipped */
#define EXIT_USAGE	2	/* bad input: usage, profile, secrets */
#define EXIT_UNREACHABLE 3	/* a machine could not be reached or trusted */
#define EXIT_LOCKED	4	/* another run of this profile is under way */
#define EXIT_NOT_BUILT	5	/* the feature asked for is not built yet */
#define EXIT_INTERNAL	70	/* a bug, out of resources, a library missing */

/* A growable, always NUL-terminated byte buffer. */
struct strbuf {
	char	*buf;
	size_t	 len;
	size_t	 cap;
};

/* util.c */
void	 strbuf_add(struct strbuf *, const void *, size_t);
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 xvasprintf(char **, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
void	 fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
long long strtonum_checked(const char *, long long, long long, const char **);
int	 parse_size_mb(const char *, long long *);
unsigned edit_distance(const char *, const char *);
int	 read_file_limited(const char *, size_t, char **, size_t *);
int	 read_fd_limited(int, size_t, char **, size_t *);
int	 write_file_atomic(const char *, const void *, size_t, mode_t);
char	*path_dirname(const char *);
int	 mkdir_private(const char *);
char	*path_join(const char *, const char *);
char	*path_expand_home(const char *);
char	*path_beside(const char *, const char *);
void	 secure_wipe(void *, size_t);
char	*str_printable(const char *);

/* check.c: formats an operator types */
const char *text_control_char(const char *);
int	 valid_safe_text(const char *);
int	 valid_hostname(const char *);
int	 valid_fqdn(const char *);
int	 valid_ipv4(const char *);
int	 valid_address(const char *);
int	 valid_cidr(const char *);
int	 valid_email(const char *);
int	 valid_abs_path(const char *);
int	 valid_name(const char *);
int	 valid_base_path(const char *);
int	 valid_dhis2_version(const char *);
int	 valid_sha256_hex(const char *);
int	 valid_url(const char *);
int	 valid_cron(const char *);
int	 valid_timezone(const char *);
int	 valid_path_text(const char *);
int	 valid_device(const char *);
int	 valid_backup_target(const char *);
int	 valid_smarthost(const char *);
int	 valid_user(const char *);
int	 valid_ssh_host_key(const char *);
int	 ssh_host_key_parse(const char *s, const char **type, size_t *tlen,
	    const char **blob, size_t *blen);
int	 valid_age_recipient(const char *);

#endif
