# nin_require.m4 - dependency checks that fail with one clear line naming the Debian package.

# NIN_REQUIRE_HEADER(HEADER, DEBIAN-PACKAGE)
AC_DEFUN([NIN_REQUIRE_HEADER], [
  AC_CHECK_HEADER([$1], [],
    [AC_MSG_ERROR([header $1 not found: install the Debian package $2])])
])

# NIN_REQUIRE_LIB(FUNCTION, LIBRARY, DEBIAN-PACKAGE)
AC_DEFUN([NIN_REQUIRE_LIB], [
  AC_SEARCH_LIBS([$1], [$2], [],
    [AC_MSG_ERROR([library $2 (function $1) not found: install the Debian package $3])])
])

# NIN_REQUIRE_PKG(VARIABLE-PREFIX, PKG-CONFIG-MODULES, DEBIAN-PACKAGE)
AC_DEFUN([NIN_REQUIRE_PKG], [
  PKG_CHECK_MODULES([$1], [$2], [],
    [AC_MSG_ERROR([pkg-config module '$2' not found: install the Debian package $3])])
])

# NIN_REQUIRE_PROG(VARIABLE, PROGRAM, DEBIAN-PACKAGE): the program's full path in VARIABLE (AC_SUBST).
AC_DEFUN([NIN_REQUIRE_PROG], [
  AC_PATH_PROG([$1], [$2])
  AS_IF([test -z "$$1"],
    [AC_MSG_ERROR([program $2 not found: install the Debian package $3])])
])

# NIN_REQUIRE_PKG_OR_LIB(VARIABLE-PREFIX, PKG-CONFIG-MODULE, FUNCTION, LIBRARY, DEBIAN-PACKAGE): the pkg-config
# module, or else -lLIBRARY when it has FUNCTION (its flags then in VARIABLE-PREFIX_LIBS).
AC_DEFUN([NIN_REQUIRE_PKG_OR_LIB], [
  PKG_CHECK_MODULES([$1], [$2], [], [
    AC_CHECK_LIB([$4], [$3], [$1_CFLAGS= $1_LIBS=-l$4],
      [AC_MSG_ERROR(m4_normalize([neither pkg-config module '$2' nor library $4 (function $3) found:
                                  install the Debian package $5]))])])
])
