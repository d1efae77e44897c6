/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * What the tomcat step decides that other steps need: which Tomcat and
 * Java a machine runs, and where each instance node lives.
 */
#ifndef TOMCAT_H
#define TOMCAT_H

#include <stddef.h>

struct facts;
struct instance;
struct strbuf;
struct topology;

struct tomcat_choice {
	int	tomcat;			/* 9 or 10 */
	int	java;			/* 11 or 17 */
	int	migrate;		/* javax WAR on Tomcat 10 */
	char	java_pkg[32];
	char	tomcat_pkg[16];
	char	catalina_home[32];
	char	java_home[48];
};

struct tomcat_paths {
	char	unit_name[48];		/* dhis2-NAME[-N] */
	char	user[40];		/* dhis2-NAME */
	char	base[96];		/* CATALINA_BASE */
	char	home[96];		/* DHIS2_HOME */
	char	unit[96];		/* the systemd unit file */
	char	war[160];		/* webapps/CONTEXT.war */
};

/* steps/tomcat.c */
int	 tomcat_choose(const struct facts *, const char *,
	    struct tomcat_choice *, char **);
void	 tomcat_paths(const struct instance *, int, struct tomcat_paths *);
struct step_ctx;
int	 tomcat_runs_here(struct step_ctx *, size_t);
size_t	 tomcat_instances_here(struct step_ctx *);
void	 tomcat_replica_lines(const struct topology *, size_t,
	    const struct instance *, const char *, struct strbuf *);

#endif
