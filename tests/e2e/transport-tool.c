/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * transport-tool: drive one transport from a test script or the bench.
 *
 *   transport-tool [options] TARGET run ARGV...     stdin -> the command
 *   transport-tool [options] TARGET put PATH MODE [OWNER GROUP] < bytes
 *   transport-tool [options] TARGET get PATH          bytes -> stdout
 *   transport-tool [options] TARGET facts
 *   transport-tool [options] TARGET repeat N ARGV...  N runs on one session
 *
 * TARGET: local | ssh:HOST | lxc:NAME (through the local host) |
 *         lxc-ssh:HOST:NAME (a container on a host reached over SSH)
 * options: -p PORT -u USER -i KEY -k KNOWN_HOSTS -a (accept new host keys)
 *
 * Exit: the command's status for run; 0/1 (missing) for get; 3 when the
 * machine cannot be reached or trusted; 70 on other errors.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "events.h"
#include "facts.h"
#include "transport.h"

static char *
read_stdin(size_t *len)
{
	char	*buf = NULL;
	size_t	 cap = 0;
	ssize_t	 n;

	*len = 0;
	for (;;) {
		if (cap - *len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = xreallocarray(buf, 1, cap);
		}
		if ((n = read(0, buf + *len, cap - *len)) <= 0)
			break;
		*len += n;
	}
	return buf;
}

static void
print_line(const struct event *ev, void *arg)
{
	if (ev->type == EV_OUTPUT)
		fprintf(ev->stream == 2 ? stderr : stdout, "%s\n", ev->text);
}

static struct transport *
make_target(const char *target, struct ssh_target *st,
    struct transport **host)
{
	char	*h, *c;

	*host = NULL;
	if (strcmp(target, "local") == 0)
		return transport_local_new("local");
	if (strncmp(target, "ssh:", 4) == 0) {
		st->host = target + 4;
		return transport_ssh_new(target + 4, st);
	}
	if (strncmp(target, "lxc:", 4) == 0) {
		*host = transport_local_new("host");
		return transport_lxc_new(target + 4, target + 4, *host);
	}
	if (strncmp(target, "lxc-ssh:", 8) == 0) {
		h = xstrdup(target + 8);
		if ((c = strchr(h, ':')) == NULL)
			fatalx("lxc-ssh:HOST:NAME");
		*c++ = '\0';
		st->host = h;	/* leaked on purpose: lives as long as we do */
		*host = transport_ssh_new(h, st);
		return transport_lxc_new(c, c, *host);
	}
	fatalx("unknown target %s", target);
}

int
main(int argc, char **argv)
{
	struct ssh_target	 st;
	struct transport	*t, *host;
	struct facts		 f = { 0 };
	const char		*errstr;
	char			*err = NULL, *buf, *in = NULL;
	size_t			 len = 0;
	long long		 n, i;
	int			 ch, rc;

	memset(&st, 0, sizeof st);
	st.port = 22;
	st.user = "root";
	while ((ch = getopt(argc, argv, "+p:u:i:k:a")) != -1) {
		switch (ch) {
		case 'p':
			st.port = (int)strtonum_checked(optarg, 1, 65535,
			    &errstr);
			if (errstr != NULL)
				fatalx("-p %s: %s", optarg, errstr);
			break;
		case 'u':
			st.user = optarg;
			break;
		case 'i':
			st.key = optarg;
			break;
		case 'k':
			st.known_hosts = optarg;
			break;
		case 'a':
			st.accept_new = 1;
			break;
		default:
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		fatalx("usage: transport-tool [-a] [-p port] [-u user] "
		    "[-i key] [-k known_hosts] TARGET run|put|get|facts|repeat");
	events_subscribe(print_line, NULL);
	t = make_target(argv[0], &st, &host);
	if (transport_open(t, &err) != 0) {
		fprintf(stderr, "transport-tool: %s\n", err);
		free(err);
		transport_free(t);
		transport_free(host);
		return 3;
	}
	if (strcmp(argv[1], "run") == 0 && argc > 2) {
		if (!isatty(0))
			in = read_stdin(&len);
		rc = transport_run(t, argv + 2, in, len, NULL, &err);
	} else if (strcmp(argv[1], "repeat") == 0 && argc > 3) {
		n = strtonum_checked(argv[2], 1, 1000000, &errstr);
		if (errstr != NULL)
			fatalx("repeat %s: %s", argv[2], errstr);
		for (i = 0, rc = 0; i < n && rc == 0; i++)
			rc = t->ops->run(t, argv + 3, NULL, 0,
			    &(struct transport_output){ NULL, NULL, NULL,
			    NULL }, &err);
	} else if (strcmp(argv[1], "put") == 0 && (argc == 4 || argc == 6)) {
		n = strtol(argv[3], NULL, 8);
		in = read_stdin(&len);
		rc = transport_put(t, argv[2], in, len, (mode_t)n,
		    argc == 6 ? argv[4] : NULL, argc == 6 ? argv[5] : NULL,
		    &err) == 0 ? 0 : 70;
	} else if (strcmp(argv[1], "get") == 0 && argc == 3) {
		rc = transport_get(t, argv[2], &buf, &len, &err);
		if (rc == 0) {
			fwrite(buf, 1, len, stdout);
			free(buf);
		} else if (rc == -1)
			rc = 70;
	} else if (strcmp(argv[1], "facts") == 0) {
		if ((rc = facts_probe(&f, t, &err)) == 0)
			printf("os_id=%s\nos_version=%s\nmem_mb=%lld\ncpus=%d\n"
			    "disk_free_mb=%lld\nsystemd=%d\nvirt=%s\n"
			    "hostname=%s\n", f.os_id, f.os_version, f.mem_mb,
			    f.cpus, f.disk_free_mb, f.systemd, f.virt,
			    f.hostname);
		else
			rc = 70;
		facts_free(&f);
	} else
		fatalx("unknown or incomplete command %s", argv[1]);
	if (rc < 0)
		rc = rc == TRANSPORT_ERR_UNREACHABLE ? 3 : 70;
	if (err != NULL)
		fprintf(stderr, "transport-tool: %s\n", err);
	free(err);
	free(in);
	transport_free(t);
	transport_free(host);
	return rc;
}
