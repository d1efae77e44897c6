/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The local transport: fork and exec, files written in-process.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "transport.h"

static void
child_exec(char *const *argv, int in, int out, int errfd)
{
	struct sigaction	sa;

	/*
	 * A session of its own: when the operator's terminal goes away the
	 * hangup must not reach an apt-get half-way through.  The engine
	 * ignores SIGHUP and SIGPIPE; commands get the defaults back.
	 */
	setsid();
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	if (dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(errfd, 2) == -1)
		_exit(127);
	execvp(argv[0], argv);
	dprintf(2, "%s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int
local_wait(pid_t pid)
{
	int	status;

	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			return -1;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

static int
local_run(struct transport *t, char *const *argv, const void *in,
    size_t inlen, struct transport_output *out, char **err)
{
	int			 pin[2] = { -1, -1 }, pout[2] = { -1, -1 };
	int			 perr[2] = { -1, -1 }, open_fds, i, saved;
	struct pollfd		 pfd[3];
	struct transport_sink	 sink;
	char			 buf[8192];
	size_t			 off = 0;
	ssize_t			 n;
	pid_t			 pid;

	if (pipe2(pin, O_CLOEXEC) == -1 || pipe2(pout, O_CLOEXEC) == -1 ||
	    pipe2(perr, O_CLOEXEC) == -1 || (pid = fork()) == -1)
		goto fail;
	if (pid == 0)
		child_exec(argv, pin[0], pout[1], perr[1]);
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	if (inlen == 0) {
		close(pin[1]);
		pin[1] = -1;
	} else
		fcntl(pin[1], F_SETFL, O_NONBLOCK);

	sink_init(&sink, out);
	pfd[0].fd = pout[0];
	pfd[1].fd = perr[0];
	pfd[2].fd = pin[1];
	pfd[0].events = pfd[1].events = POLLIN;
	pfd[2].events = POLLOUT;
	open_fds = 2;
	while (open_fds > 0 || pfd[2].fd != -1) {
		if (poll(pfd, 3, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[2].fd != -1 && pfd[2].revents != 0) {
			n = write(pfd[2].fd, (const char *)in + off,
			    inlen - off);
			if (n > 0)
				off += n;
			if ((n == -1 && errno != EAGAIN && errno != EINTR) ||
			    off == inlen) {
				close(pfd[2].fd);
				pfd[2].fd = -1;
			}
		}
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			n = read(pfd[i].fd, buf, sizeof buf);
			if (n > 0)
				sink_feed(&sink, i + 1, buf, n);
			else if (n == 0 || (errno != EINTR &&
			    errno != EAGAIN)) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_fds--;
			}
		}
	}
	sink_finish(&sink);
	return local_wait(pid);

fail:
	saved = errno;
	for (i = 0; i < 2; i++) {
		if (pin[i] != -1)
			close(pin[i]);
		if (pout[i] != -1)
			close(pout[i]);
		if (perr[i] != -1)
			close(perr[i]);
	}
	xasprintf(err, "cannot run %s: %s", argv[0], strerror(saved));
	return -1;
}

static int
owner_ids(const char *owner, const char *group, uid_t *uid, gid_t *gid,
    char **err)
{
	struct passwd	*pw;
	struct group	*gr;

	*uid = 0;
	*gid = 0;
	if (owner != NULL) {
		if ((pw = getpwnam(owner)) == NULL) {
			xasprintf(err, "no such user: %s", owner);
			return -1;
		}
		*uid = pw->pw_uid;
	}
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL) {
			xasprintf(err, "no such group: %s", group);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * Temp file 0600 in the same folder, owner and mode set before the rename
 * so the file never appears with the wrong ones; the old one is kept as a
 * hard link PATH.prev (a copy is not needed: rename leaves it alone).
 */
static int
local_put(struct transport *t, const char *path, const void *buf,
    size_t len, mode_t mode, const char *owner, const char *group, char **err)
{
	char	*tmp = NULL, *prev = NULL, *dir;
	uid_t	 uid;
	gid_t	 gid;
	int	 fd;

	if (owner_ids(owner, group, &uid, &gid, err) == -1)
		return -1;
	dir = path_dirname(path);
	xasprintf(&tmp, "%s/.d2s-put.XXXXXX", dir);
	free(dir);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		goto fail;
	if (write_all(fd, buf, len) == -1 || fchown(fd, uid, gid) == -1 ||
	    fchmod(fd, mode & 07777) == -1 || fsync(fd) == -1) {
		close(fd);
		unlink(tmp);
		goto fail;
	}
	close(fd);
	xasprintf(&prev, "%s.prev", path);
	if (access(path, F_OK) == 0) {
		if (unlink(prev) == -1 && errno != ENOENT)
			goto fail_unlink;
		if (link(path, prev) == -1)
			goto fail_unlink;
	}
	if (rename(tmp, path) == -1)
		goto fail_unlink;
	free(tmp);
	free(prev);
	return 0;

fail_unlink:
	unlink(tmp);
fail:
	xasprintf(err, "cannot write %s: %s", path, strerror(errno));
	free(tmp);
	free(prev);
	return -1;
}

static int
local_get(struct transport *t, const char *path, char **buf, size_t *len,
    char **err)
{
	struct stat	st;
	size_t		max = TRANSPORT_MAX_GET;

	/* Size the buffer to the file: most are a few hundred bytes. */
	if (stat(path, &st) == 0 && st.st_size >= 0 &&
	    (size_t)st.st_size < TRANSPORT_MAX_GET - 4096)
		max = st.st_size + 4096;
	if (read_file_limited(path, max, buf, len) == 0)
		return 0;
	if (errno == ENOENT)
		return 1;
	xasprintf(err, "cannot read %s: %s", path, strerror(errno));
	return -1;
}

static const struct transport_ops local_ops = {
	.name = "local",
	.run = local_run,
	.put = local_put,
	.get = local_get,
};

struct transport *
transport_local_new(const char *name)
{
	struct transport	*t = xcalloc(1, sizeof *t);

	t->ops = &local_ops;
	t->name = xstrdup(name);
	return t;
}
