# acinclude.m4: the project's own autoconf macros (aclocal copies them into
# aclocal.m4; m4/ holds only the generated ones).

# D2S_SONAME(VARIABLE, LIBS, FUNCTION, LIBNAME, DEFAULT)
# -----------------------------------------------------
# The soname that a program linked with LIBS records for LIBNAME (libssh ->
# libssh.so.4), read from a test program's NEEDED entries with readelf: the
# name dlopen must load to get the library the headers describe.  Defines
# VARIABLE in config.h; DEFAULT (with a warning) when it cannot be read.
AC_DEFUN([D2S_PROG_READELF], [AC_CHECK_TOOL([READELF], [readelf], [no])])
AC_DEFUN([D2S_SONAME], [
	AC_REQUIRE([AC_PROG_CC])
	AC_REQUIRE([AC_PROG_AWK])
	AC_REQUIRE([D2S_PROG_READELF])
	AC_CACHE_CHECK([the soname of $4], [d2s_cv_soname_$1], [
		d2s_cv_soname_$1=
		d2s_save_LIBS=$LIBS
		LIBS="$2 $LIBS"
		AC_LINK_IFELSE([AC_LANG_CALL([], [$3])], [
			AS_IF([test "x$READELF" != xno], [
				# readelf: "(NEEDED) Shared library: @<:@libcurl.so.4@:>@"
				d2s_cv_soname_$1=`$READELF -d conftest$EXEEXT 2>/dev/null |
				    $AWK '/(NEEDED)/ { print $NF }' |
				    sed -n 's/^.\($4\.so\..*\).$/\1/p' | sed 1q`])])
		LIBS=$d2s_save_LIBS
		AS_IF([test "x$d2s_cv_soname_$1" = x], [d2s_cv_soname_$1=unknown])])
	AS_IF([test "x$d2s_cv_soname_$1" = xunknown], [
		AC_MSG_WARN([cannot read the soname of $4; assuming $5])
		d2s_cv_soname_$1=$5])
	AC_DEFINE_UNQUOTED([$1], ["$d2s_cv_soname_$1"],
	    [The soname dlopen loads for $4 (lib/lazylib.c).])
])
