/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Transports: how the engine reaches a machine.  One interface, three
 * implementations: local (fork/exec), SSH (libssh, SFTP) and LXC
 * (lxc-attach through the transport of the container's host).
 *
 * Commands are argv vectors, never shell strings built from input.  Over
 * SSH the protocol itself takes one string, so the argv is quoted there,
 * word by word, with single quotes (transport_quote_argv()); nothing else
 * ever quotes.  Secrets go on stdin or into a file, never on argv.
 */
#ifndef TRANSPORT_H
#define TRANSPORT_H

#include <stddef.h>
#include <sys/types.h>

#define TRANSPORT_MAX_GET	(16 * 1024 * 1024)	/* files we read back */
#define TRANSPORT_ERR_UNREACHABLE	-2	/* connect/auth/host key */

struct transport;

/* A line of output: stream is 1 (stdout) or 2 (stderr); no newline. */
struct transport_output {
	void	(*line)(void *, int, const char *);
	void	 *arg;
	/* When set, stdout is also collected here (not split in lines). */
	char	**capture;
	size_t	 *capture_len;
};

struct transport_ops {
	const char	*name;
	/* Connect lazily; 0, or TRANSPORT_ERR_UNREACHABLE with *err set. */
	int		(*open)(struct transport *, char **);
	/*
	 * Run argv with the stdin bytes (may be NULL); returns the exit
	 * status (0-255, 128+signal), or -1 / TRANSPORT_ERR_UNREACHABLE
	 * with *err set when the command could not be run at all.
	 */
	int		(*run)(struct transport *, char *const *, const void *,
			    size_t, struct transport_output *, char **);
	/*
	 * Write path atomically (temp file in the same folder, then
	 * rename) with mode, owner and group (NULL: root), keeping the
	 * version it replaces as PATH.prev.  0 or -1 with *err set.
	 */
	int		(*put)(struct transport *, const char *, const void *,
			    size_t, mode_t, const char *, const char *, char **);
	/* 0 with *buf (NUL-terminated), 1 when missing, -1 with *err. */
	int		(*get)(struct transport *, const char *, char **,
			    size_t *, char **);
	void		(*close)(struct transport *);
};

/* Options of an SSH connection. */
struct ssh_target {
	const char	*host;
	int		 port;
	const char	*user;
	const char	*key;		/* private key file; NULL: agent */
	const char	*known_hosts;	/* NULL: ~/.ssh/known_hosts */
	int		 accept_new;	/* --accept-new-host-keys */
	/*
	 * Asked about an unknown host when accept_new is not set (the
	 * wizard shows the fingerprint and asks); nonzero accepts.
	 */
	int		(*confirm)(void *, const char *, int, const char *);
	void		*confirm_arg;
	int		 keepalive;	/* seconds; 0: default 30 */
};

struct transport {
	const struct transport_ops *ops;
	char		*name;		/* machine name, for logs and events */
	void		*data;		/* the implementation's */
	int		 opened;
};

/* Splits a stream of bytes into lines for a transport_output. */
struct transport_sink {
	struct transport_output	*out;
	char			*part[3];
	size_t			 partlen[3];
	size_t			 captured;
	int			 overflow;
};

/* transport.c */
void	 sink_init(struct transport_sink *, struct transport_output *);
void	 sink_feed(struct transport_sink *, int, const char *, size_t);
void	 sink_finish(struct transport_sink *);
int	 transport_open(struct transport *, char **);
int	 transport_run(struct transport *, char *const *, const void *,
	    size_t, struct transport_output *, char **);
int	 transport_capture(struct transport *, char *const *, char **,
	    char **);
int	 transport_put(struct transport *, const char *, const void *, size_t,
	    mode_t, const char *, const char *, char **);
int	 transport_get(struct transport *, const char *, char **, size_t *,
	    char **);
void	 transport_free(struct transport *);
char	*transport_quote_argv(char *const *);
char	*transport_argv_string(char *const *);
int	 transport_put_via_run(struct transport *, const char *, const void *,
	    size_t, mode_t, const char *, const char *, char **);
int	 transport_get_via_run(struct transport *, const char *, char **,
	    size_t *, char **);
extern const char transport_put_script[];

/* transport_local.c */
struct transport *transport_local_new(const char *);

/* transport_ssh.c */
struct transport *transport_ssh_new(const char *, const struct ssh_target *);

/* transport_lxc.c: the container is reached through its host. */
struct transport *transport_lxc_new(const char *, const char *,
	    struct transport *);

#endif
