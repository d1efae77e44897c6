/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * A machine's apt sources: the deb822 file a container is given, and the
 * check that names the source line "apt-get update" fails on.
 */
#ifndef APT_SOURCES_H
#define APT_SOURCES_H

struct step_ctx;

/*
 * apt_sources_check MODE: a shell function that prints one line
 *	aptbad=FILE:LINE<TAB>SOURCE<TAB>WHY
 * for every enabled source whose Release file cannot be fetched.  MODE
 * "unfetched" asks the archive only about sources with no Release in
 * apt's lists (a converged machine costs no download); "all" asks about
 * every one (after "apt-get update" failed).  Nothing on the machine
 * changes: the files fetched go to a temporary folder.
 */
#define APT_SOURCES_CHECK_SH \
    "apt_sources_list() {\n" \
    "  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do\n" \
    "    [ -f \"$f\" ] || continue\n" \
    "    awk -v f=\"$f\" '{ t = $0; sub(/#.*/, \"\") }\n" \
    "      $1 == \"deb\" || $1 == \"deb-src\" { i = 2\n" \
    "        if ($2 ~ /^\\[/) { while (i < NF && $i !~ /\\]$/) i++; i++ }\n" \
    "        if (i < NF) printf \"%s:%d\\t%s\\t%s\\t%s\\n\", f, NR, $i, " \
    "$(i + 1), t }' \"$f\"\n" \
    "  done\n" \
    /* deb822: keys are case-insensitive, values may go on over lines */ \
    "  for f in /etc/apt/sources.list.d/*.sources; do\n" \
    "    [ -f \"$f\" ] || continue\n" \
    "    awk -v f=\"$f\" 'function out(   i, j, nu, ns, u, s) {\n" \
    "        if (ty ~ /deb/ && en != \"no\") {\n" \
    "          nu = split(ur, u, \" \"); ns = split(su, s, \" \")\n" \
    "          for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++)\n" \
    "            printf \"%s:%d\\t%s\\t%s\\tURIs: %s / Suites: %s\\n\", " \
    "f, ln, u[i], s[j], u[i], s[j]\n" \
    "        }\n" \
    "        ty = ur = su = en = k = \"\"; ln = 0 }\n" \
    "      /^[ \\t]*#/ { next }\n" \
    "      /^[ \\t]*$/ { out(); next }\n" \
    "      /^[ \\t]/ { v = $0; sub(/^[ \\t]+/, \"\", v)\n" \
    "        if (k == \"uris\") ur = ur \" \" v\n" \
    "        else if (k == \"suites\") su = su \" \" v\n" \
    "        next }\n" \
    "      { k = tolower($0); sub(/:.*/, \"\", k); v = $0\n" \
    "        sub(/^[^:]*:[ \\t]*/, \"\", v); if (ln == 0) ln = NR\n" \
    "        if (k == \"types\") ty = v; else if (k == \"uris\") ur = v\n" \
    "        else if (k == \"suites\") { su = v; ln = NR }\n" \
    "        else if (k == \"enabled\") en = tolower(v) }\n" \
    "      END { out() }' \"$f\"\n" \
    "  done\n" \
    "}\n" \
    /* apt's name for a URI in its lists (URItoFileName, near enough:
     * a miss only costs a download) */ \
    "apt_sources_file() {\n" \
    "  printf '%s' \"$1\" | sed 's|^[a-z0-9+]*://||; s|^[^/@]*@||; " \
    "s|_|%5f|g; s|/|_|g'\n" \
    "}\n" \
    "apt_sources_check() {\n" \
    "  apt_sources_list 2>/dev/null |\n" \
    "  while IFS='\t' read -r at uri suite text; do\n" \
    "    case $suite in\n" \
    "    */) rel=${uri%/}/$suite;;\n" \
    "    *) rel=${uri%/}/dists/$suite/;;\n" \
    "    esac\n" \
    "    if [ \"$1\" != all ]; then\n" \
    "      l=/var/lib/apt/lists/$(apt_sources_file \"$rel\")\n" \
    "      [ -e \"${l}InRelease\" ] || [ -e \"${l}Release\" ] && continue\n" \
    "    fi\n" \
    "    t=$(mktemp -d) || continue\n" \
    "    for r in InRelease Release; do\n" \
    "      /usr/lib/apt/apt-helper -o APT::Sandbox::User=root " \
    "-o Acquire::Retries=0 -o Acquire::http::Timeout=20 " \
    "-o Acquire::https::Timeout=20 download-file \"$rel$r\" \"$t/$r\" " \
    "< /dev/null > \"$t/out\" 2>&1 && break\n" \
    "      [ $r = InRelease ] && cp \"$t/out\" \"$t/first\"\n" \
    "    done\n" \
    "    if [ ! -s \"$t/InRelease\" ] && [ ! -s \"$t/Release\" ]; then\n" \
    "      why=$(sed -n 's/^E: Failed to fetch [^ ]*  *//p' \"$t/first\" " \
    "| head -n 1)\n" \
    "      printf 'aptbad=%s\\t%s\\t%s\\n' \"$at\" \"$text\" " \
    "\"${why:-cannot be fetched}\"\n" \
    "    fi\n" \
    "    rm -rf \"$t\"\n" \
    "  done\n" \
    "  return 0\n" \
    "}\n"

/* steps/apt_sources.c */
int	 apt_release_is_ubuntu(const char *);
const char *apt_release_mirror(const char *);
char	*apt_sources_content(const char *, const char *, const char *,
	    const char **);
char	*apt_sources_problems(const char *);
int	 step_apt_sources_check(struct step_ctx *, int);

#endif
