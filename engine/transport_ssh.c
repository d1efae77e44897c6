/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The SSH transport (libssh): one session per machine, opened on first
 * use and kept; commands on exec channels, files over SFTP.
 *
 * Host keys: a key found in known_hosts is trusted; an unknown host is
 * refused unless --accept-new-host-keys (or the wizard) confirmed it, and
 * then recorded; a changed key is always refused, showing both
 * fingerprints, because that is what an attacker in the middle looks like.
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include "core.h"
#include "lazylib.h"
#include "transport.h"

#define SSH_CONNECT_TIMEOUT	15	/* seconds */
#define SSH_KEEPALIVE_DEFAULT	30	/* seconds of silence */
#define SSH_READ_SLICE_MS	50

struct ssh_data {
	char		*host;
	int		 port;
	char		*user;
	char		*key;
	char		*known_hosts;
	int		 accept_new;
	int		(*confirm)(void *, const char *, int, const char *);
	void		*confirm_arg;
	int		 keepalive;
	ssh_session	 s;
	sftp_session	 sftp;
	/*
	 * A libssh session is not for concurrent use, and the containers
	 * of an LXC host over SSH share their host's: one user at a time
	 * (recursive: put asks run for ids).
	 */
	pthread_mutex_t	 lock;
};

static char *
fingerprint(ssh_key key)
{
	unsigned char	*hash = NULL;
	size_t		 hlen;
	char		*fp, *out;

	if (key == NULL || ssh_get_publickey_hash(key,
	    SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) != 0)
		return xstrdup("(unknown)");
	fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	ssh_clean_pubkey_hash(&hash);
	out = xstrdup(fp != NULL ? fp : "(unknown)");
	ssh_string_free_char(fp);
	return out;
}

static const char *
kh_file(struct ssh_data *d)
{
	return d->known_hosts != NULL ? d->known_hosts : "~/.ssh/known_hosts";
}

/*
 * The recorded entry of this host for a key type, to show its fingerprint:
 * libssh returns the entry only when the key matches.
 */
static struct ssh_knownhosts_entry *
known_entry(struct ssh_data *d, enum ssh_keytypes_e type)
{
	struct ssh_knownhosts_entry	*e = NULL;
	char				*path, *host, *line = NULL;
	size_t				 cap = 0;
	ssize_t				 n;
	FILE				*f;

	if (d->known_hosts != NULL)
		path = xstrdup(d->known_hosts);
	else if (getenv("HOME") != NULL)
		xasprintf(&path, "%s/.ssh/known_hosts", getenv("HOME"));
	else
		return NULL;
	if (d->port == 22)
		host = xstrdup(d->host);
	else
		xasprintf(&host, "[%s]:%d", d->host, d->port);
	if ((f = fopen(path, "r")) != NULL) {
		while ((n = getline(&line, &cap, f)) > 0) {
			if (line[n - 1] == '\n')
				line[n - 1] = '\0';
			if (ssh_known_hosts_parse_line(host, line, &e) !=
			    SSH_OK)
				continue;
			if (ssh_key_type(e->publickey) == type)
				break;
			ssh_knownhosts_entry_free(e);
			e = NULL;
		}
		fclose(f);
	}
	free(line);
	free(host);
	free(path);
	return e;
}

static int
check_host_key(struct transport *t, struct ssh_data *d, char **err)
{
	struct ssh_knownhosts_entry	*entry = NULL;
	ssh_key				 srv = NULL;
	char				*got, *had;
	enum ssh_known_hosts_e		 state;
	int				 rc = -1;

	if (ssh_get_server_publickey(d->s, &srv) != SSH_OK) {
		xasprintf(err, "%s: no host key from %s", t->name, d->host);
		return -1;
	}
	got = fingerprint(srv);
	state = ssh_session_is_known_server(d->s);
	switch (state) {
	case SSH_KNOWN_HOSTS_OK:
		rc = 0;
		break;
	case SSH_KNOWN_HOSTS_CHANGED:
		entry = known_entry(d, ssh_key_type(srv));
		had = fingerprint(entry != NULL ? entry->publickey : NULL);
		xasprintf(err, "%s: the host key of %s:%d CHANGED: %s has %s, "
		    "the server now offers %s.  This is refused: if the "
		    "machine was really reinstalled, check the new key out of "
		    "band and remove the old line from %s", t->name, d->host,
		    d->port, kh_file(d), had, got, kh_file(d));
		free(had);
		ssh_knownhosts_entry_free(entry);
		break;
	case SSH_KNOWN_HOSTS_OTHER:
		xasprintf(err, "%s: %s:%d offers a %s key %s but %s holds a "
		    "key of another type for it; refused (check it out of "
		    "band, then update %s)", t->name, d->host, d->port,
		    ssh_key_type_to_char(ssh_key_type(srv)), got, kh_file(d),
		    kh_file(d));
		break;
	case SSH_KNOWN_HOSTS_NOT_FOUND:
	case SSH_KNOWN_HOSTS_UNKNOWN:
		if (!d->accept_new && (d->confirm == NULL ||
		    !d->confirm(d->confirm_arg, d->host, d->port, got))) {
			xasprintf(err, "%s: %s:%d is not a known host (key %s, "
			    "not in %s); refused: check the fingerprint and "
			    "run again with --accept-new-host-keys", t->name,
			    d->host, d->port, got, kh_file(d));
			break;
		}
		if (ssh_session_update_known_hosts(d->s) != SSH_OK) {
			xasprintf(err, "%s: cannot record the key of %s in "
			    "%s: %s", t->name, d->host, kh_file(d),
			    ssh_get_error(d->s));
			break;
		}
		rc = 0;
		break;
	case SSH_KNOWN_HOSTS_ERROR:
		xasprintf(err, "%s: cannot check the host key of %s: %s",
		    t->name, d->host, ssh_get_error(d->s));
		break;
	}
	free(got);
	ssh_key_free(srv);
	return rc;
}

static int
authenticate(struct transport *t, struct ssh_data *d, char **err)
{
	ssh_key	pkey = NULL;
	int	rc;

	if (d->key != NULL) {
		/* A key with a passphrase needs the agent. */
		if (ssh_pki_import_privkey_file(d->key, NULL, NULL, NULL,
		    &pkey) != SSH_OK) {
			xasprintf(err, "%s: cannot read the key %s (a key with "
			    "a passphrase must be loaded in ssh-agent)",
			    t->name, d->key);
			return -1;
		}
		rc = ssh_userauth_publickey(d->s, NULL, pkey);
		ssh_key_free(pkey);
		if (rc == SSH_AUTH_SUCCESS)
			return 0;
	}
	if (ssh_userauth_agent(d->s, NULL) == SSH_AUTH_SUCCESS)
		return 0;
	if (d->key == NULL &&
	    ssh_userauth_publickey_auto(d->s, NULL, NULL) == SSH_AUTH_SUCCESS)
		return 0;
	xasprintf(err, "%s: %s@%s refused our key%s: %s", t->name, d->user,
	    d->host, d->key != NULL ? "" : "s (agent and ~/.ssh)",
	    ssh_get_error(d->s));
	return -1;
}

/* TCP keepalives find a dead peer even while we wait for a long command. */
static void
tcp_keepalive(struct ssh_data *d)
{
	int	fd = ssh_get_fd(d->s), on = 1, idle = d->keepalive, cnt = 4;

	if (fd == -1)
		return;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof idle);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
}

static int
ssh_open_locked(struct transport *t, char **err)
{
	struct ssh_data	*d = t->data;
	long		 timeout = SSH_CONNECT_TIMEOUT;
	char		*why;
	int		 no = 0, yes = 1;

	if (d->s != NULL)	/* another user of the session opened it */
		return 0;
	/* libssh is loaded on first use: without it, which package. */
	if (lazylib_load(LAZY_SSH, &why) == -1) {
		xasprintf(err, "%s: %s", t->name, why);
		free(why);
		return TRANSPORT_ERR_UNREACHABLE;
	}
	if ((d->s = ssh_new()) == NULL)
		fatalx("out of memory");
	ssh_options_set(d->s, SSH_OPTIONS_HOST, d->host);
	ssh_options_set(d->s, SSH_OPTIONS_PORT, &d->port);
	ssh_options_set(d->s, SSH_OPTIONS_USER, d->user);
	ssh_options_set(d->s, SSH_OPTIONS_TIMEOUT, &timeout);
	/* What the profile says, not what ~/.ssh/config might add. */
	ssh_options_set(d->s, SSH_OPTIONS_PROCESS_CONFIG, &no);
	/* Commands are small request/reply exchanges: no Nagle delays. */
	ssh_options_set(d->s, SSH_OPTIONS_NODELAY, &yes);
	if (d->known_hosts != NULL) {
		ssh_options_set(d->s, SSH_OPTIONS_KNOWNHOSTS, d->known_hosts);
		/* Only the profile's file decides then. */
		ssh_options_set(d->s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS,
		    "/dev/null");
	}
	if (ssh_connect(d->s) != SSH_OK) {
		xasprintf(err, "%s: cannot connect to %s:%d: %s", t->name,
		    d->host, d->port, ssh_get_error(d->s));
		goto fail;
	}
	if (check_host_key(t, d, err) == -1 || authenticate(t, d, err) == -1)
		goto fail;
	tcp_keepalive(d);
	return 0;
fail:
	ssh_disconnect(d->s);
	ssh_free(d->s);
	d->s = NULL;
	return TRANSPORT_ERR_UNREACHABLE;
}

static int
ssh_open(struct transport *t, char **err)
{
	struct ssh_data	*d = t->data;
	int		 rc;

	pthread_mutex_lock(&d->lock);
	rc = ssh_open_locked(t, err);
	pthread_mutex_unlock(&d->lock);
	return rc;
}

static int
channel_write_all(ssh_channel ch, const void *buf, size_t len)
{
	const char	*p = buf;
	int		 n;

	while (len > 0) {
		n = ssh_channel_write(ch, p, len > 32768 ? 32768 : len);
		if (n == SSH_ERROR)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int
ssh_run_locked(struct transport *t, char *const *argv, const void *in,
    size_t inlen, struct transport_output *out, char **err)
{
	struct ssh_data		*d = t->data;
	struct transport_sink	 sink;
	ssh_channel		 ch;
	char			*cmd, buf[16384];
	time_t			 quiet_since = time(NULL);
	int			 n1, n2, status;

	if ((ch = ssh_channel_new(d->s)) == NULL)
		goto fail;
	if (ssh_channel_open_session(ch) != SSH_OK) {
		ssh_channel_free(ch);
		goto fail;
	}
	cmd = transport_quote_argv(argv);
	if (ssh_channel_request_exec(ch, cmd) != SSH_OK) {
		free(cmd);
		goto fail_close;
	}
	free(cmd);
	if (inlen > 0 && channel_write_all(ch, in, inlen) == -1)
		goto fail_close;
	ssh_channel_send_eof(ch);

	sink_init(&sink, out);
	for (;;) {
		n1 = ssh_channel_read_timeout(ch, buf, sizeof buf, 0,
		    SSH_READ_SLICE_MS);
		if (n1 > 0)
			sink_feed(&sink, 1, buf, n1);
		n2 = ssh_channel_read_nonblocking(ch, buf, sizeof buf, 1);
		if (n2 > 0)
			sink_feed(&sink, 2, buf, n2);
		if (n1 == SSH_ERROR || n2 == SSH_ERROR) {
			sink_finish(&sink);
			goto fail_close;
		}
		if (n1 > 0 || n2 > 0) {
			quiet_since = time(NULL);
			continue;
		}
		if (ssh_channel_is_eof(ch) || ssh_channel_is_closed(ch))
			break;
		/* A long quiet command: keep NATs and firewalls open. */
		if (time(NULL) - quiet_since >= d->keepalive) {
			if (ssh_send_ignore(d->s, "keepalive") != SSH_OK) {
				sink_finish(&sink);
				goto fail_close;
			}
			quiet_since = time(NULL);
		}
	}
	sink_finish(&sink);
	status = ssh_channel_get_exit_status(ch);
	ssh_channel_close(ch);
	ssh_channel_free(ch);
	/* -1: killed by a signal (exit-signal, no status). */
	return status >= 0 ? status : 255;

fail_close:
	ssh_channel_close(ch);
	ssh_channel_free(ch);
fail:
	xasprintf(err, "%s: ssh: %s", t->name, ssh_get_error(d->s));
	return -1;
}

static int
ssh_run(struct transport *t, char *const *argv, const void *in,
    size_t inlen, struct transport_output *out, char **err)
{
	struct ssh_data	*d = t->data;
	int		 rc;

	pthread_mutex_lock(&d->lock);
	rc = ssh_run_locked(t, argv, in, inlen, out, err);
	pthread_mutex_unlock(&d->lock);
	return rc;
}

static int
sftp_ready(struct transport *t, struct ssh_data *d, char **err)
{
	if (d->sftp != NULL)
		return 0;
	if ((d->sftp = sftp_new(d->s)) == NULL || sftp_init(d->sftp) != 0) {
		xasprintf(err, "%s: cannot start SFTP: %s", t->name,
		    ssh_get_error(d->s));
		if (d->sftp != NULL)
			sftp_free(d->sftp);
		d->sftp = NULL;
		return -1;
	}
	return 0;
}

/* Owner and group names to numbers on the machine (SFTP wants numbers). */
static int
remote_ids(struct transport *t, const char *owner, const char *group,
    unsigned *uid, unsigned *gid, char **err)
{
	char			*argv[] = { "sh", "-c",
	    "id -u -- \"$1\" && getent group -- \"$2\" | cut -d: -f3", "sh",
	    (char *)(owner != NULL ? owner : "root"),
	    (char *)(group != NULL ? group : "root"), NULL };
	char			*buf = NULL;
	size_t			 len;
	struct transport_output	 o = { NULL, NULL, &buf, &len };
	int			 rc;

	*uid = *gid = 0;
	if (owner == NULL && group == NULL)
		return 0;
	rc = ssh_run(t, argv, NULL, 0, &o, err);
	if (rc != 0 || buf == NULL ||
	    sscanf(buf, "%u\n%u", uid, gid) != 2) {
		if (*err == NULL)
			xasprintf(err, "%s: no user %s or group %s", t->name,
			    owner != NULL ? owner : "root",
			    group != NULL ? group : "root");
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

/* Keep the old version as a hard link, then move the new one in. */
static const char ssh_finish_script[] =
    "if [ -e \"$1\" ]; then rm -f -- \"$1.prev\" && "
    "ln -- \"$1\" \"$1.prev\"; fi && mv -f -- \"$2\" \"$1\"";

static int
ssh_put_locked(struct transport *t, const char *path, const void *buf,
    size_t len, mode_t mode, const char *owner, const char *group, char **err)
{
	struct ssh_data	*d = t->data;
	sftp_file	 f;
	char		*dir, *tmp;
	const char	*p = buf;
	unsigned	 uid, gid, r;
	ssize_t		 n;
	size_t		 left = len;
	int		 rc = -1;

	if (remote_ids(t, owner, group, &uid, &gid, err) == -1 ||
	    sftp_ready(t, d, err) == -1)
		return -1;
	dir = path_dirname(path);
	arc4random_buf(&r, sizeof r);
	xasprintf(&tmp, "%s/.d2s-put.%08x", dir, r);
	free(dir);
	/* 0600 from the first byte: the content may be a secret. */
	f = sftp_open(d->sftp, tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (f == NULL)
		goto out;
	while (left > 0) {
		n = sftp_write(f, p, left > 32768 ? 32768 : left);
		if (n <= 0)
			break;
		p += n;
		left -= n;
	}
	sftp_close(f);
	if (left > 0 || sftp_chown(d->sftp, tmp, uid, gid) != 0 ||
	    sftp_chmod(d->sftp, tmp, mode & 07777) != 0)
		goto out_unlink;
	/*
	 * OpenSSH's SFTP server speaks version 3, whose rename refuses an
	 * existing target, and libssh 0.10 cannot send posix-rename: the
	 * last move is mv(1), which is rename(2), over the exec channel.
	 */
	if (ssh_run(t, (char *[]){ "sh", "-c", (char *)ssh_finish_script,
	    "sh", (char *)path, tmp, NULL }, NULL, 0,
	    &(struct transport_output){ NULL, NULL, NULL, NULL }, err) != 0)
		goto out_unlink;
	rc = 0;
	goto out;
out_unlink:
	sftp_unlink(d->sftp, tmp);
out:
	if (rc == -1 && *err == NULL)
		xasprintf(err, "%s: cannot write %s: %s (sftp error %d)",
		    t->name, path, ssh_get_error(d->s),
		    sftp_get_error(d->sftp));
	free(tmp);
	return rc;
}

static int
ssh_put(struct transport *t, const char *path, const void *buf, size_t len,
    mode_t mode, const char *owner, const char *group, char **err)
{
	struct ssh_data	*d = t->data;
	int		 rc;

	pthread_mutex_lock(&d->lock);
	rc = ssh_put_locked(t, path, buf, len, mode, owner, group, err);
	pthread_mutex_unlock(&d->lock);
	return rc;
}

static int
ssh_get_locked(struct transport *t, const char *path, char **buf, size_t *len,
    char **err)
{
	struct ssh_data	*d = t->data;
	sftp_file	 f;
	char		*p = NULL;
	size_t		 got = 0, cap = 0;
	ssize_t		 n = 0;
	int		 toobig = 0;

	if (sftp_ready(t, d, err) == -1)
		return -1;
	if ((f = sftp_open(d->sftp, path, O_RDONLY, 0)) == NULL) {
		if (sftp_get_error(d->sftp) == SSH_FX_NO_SUCH_FILE)
			return 1;
		xasprintf(err, "%s: cannot read %s: sftp error %d", t->name,
		    path, sftp_get_error(d->sftp));
		return -1;
	}
	for (;;) {
		if (cap - got < 32768) {
			cap = cap == 0 ? 65536 : cap * 2;
			if (cap > 2 * (size_t)TRANSPORT_MAX_GET) {
				toobig = 1;
				break;
			}
			p = xreallocarray(p, 1, cap + 1);
		}
		if ((n = sftp_read(f, p + got, 32768)) <= 0)
			break;
		got += n;
	}
	sftp_close(f);
	if (n < 0 || toobig || got > TRANSPORT_MAX_GET) {
		free(p);
		xasprintf(err, "%s: cannot read %s (error or too large)",
		    t->name, path);
		return -1;
	}
	if (p == NULL)
		p = xmalloc(1);
	p[got] = '\0';
	*buf = p;
	*len = got;
	return 0;
}

static int
ssh_get(struct transport *t, const char *path, char **buf, size_t *len,
    char **err)
{
	struct ssh_data	*d = t->data;
	int		 rc;

	pthread_mutex_lock(&d->lock);
	rc = ssh_get_locked(t, path, buf, len, err);
	pthread_mutex_unlock(&d->lock);
	return rc;
}

static void
ssh_close(struct transport *t)
{
	struct ssh_data	*d = t->data;

	if (d == NULL)
		return;
	if (d->sftp != NULL)
		sftp_free(d->sftp);
	if (d->s != NULL) {
		ssh_disconnect(d->s);
		ssh_free(d->s);
	}
	free(d->host);
	free(d->user);
	free(d->key);
	free(d->known_hosts);
	pthread_mutex_destroy(&d->lock);
	free(d);
	t->data = NULL;
}

static const struct transport_ops ssh_ops = {
	.name = "ssh",
	.open = ssh_open,
	.run = ssh_run,
	.put = ssh_put,
	.get = ssh_get,
	.close = ssh_close,
};

struct transport *
transport_ssh_new(const char *name, const struct ssh_target *st)
{
	struct transport	*t = xcalloc(1, sizeof *t);
	struct ssh_data		*d = xcalloc(1, sizeof *d);

	d->host = xstrdup(st->host);
	d->port = st->port > 0 ? st->port : 22;
	d->user = xstrdup(st->user != NULL ? st->user : "root");
	d->key = st->key != NULL ? xstrdup(st->key) : NULL;
	d->known_hosts = st->known_hosts != NULL ?
	    xstrdup(st->known_hosts) : NULL;
	d->accept_new = st->accept_new;
	d->confirm = st->confirm;
	d->confirm_arg = st->confirm_arg;
	d->keepalive = st->keepalive > 0 ? st->keepalive :
	    SSH_KEEPALIVE_DEFAULT;
	{
		pthread_mutexattr_t a;

		pthread_mutexattr_init(&a);
		pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
		pthread_mutex_init(&d->lock, &a);
		pthread_mutexattr_destroy(&a);
	}
	t->ops = &ssh_ops;
	t->name = xstrdup(name);
	t->data = d;
	return t;
}
