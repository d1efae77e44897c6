# fuzz/: a libFuzzer target for the profile loader.  `make fuzz` builds it
# with clang (Debian: clang, libclang-rt-14-dev) and runs it for
# FUZZ_SECONDS on a corpus seeded from the examples and test cases.  Not
# part of `make check`: fuzzing is open-ended.
FUZZ_SECONDS = 60
FUZZ_CC = clang
FUZZ_SRCS = $(srcdir)/fuzz/fuzz_profile.c $(srcdir)/lib/util.c \
	$(srcdir)/lib/check.c $(srcdir)/lib/cron.c $(srcdir)/profiles/diag.c \
	$(srcdir)/profiles/profile.c $(srcdir)/profiles/yamltree.c \
	$(srcdir)/profiles/profile_load.c $(srcdir)/profiles/profile_check.c \
	$(srcdir)/profiles/profile_save.c $(srcdir)/profiles/schema.c
EXTRA_DIST += $(FUZZ_SRCS)

fuzz/fuzz_profile: $(FUZZ_SRCS)
	@mkdir -p fuzz
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined \
	    -I. -I$(srcdir)/lib -I$(srcdir)/profiles $(YAML_CFLAGS) \
	    -o $@ $(FUZZ_SRCS) $(YAML_LIBS)

fuzz: fuzz/fuzz_profile
	@mkdir -p fuzz/corpus
	cp $(srcdir)/profiles/examples/*.yaml $(srcdir)/tests/profiles/good/*.yaml \
	    $(srcdir)/tests/profiles/bad/*.yaml fuzz/corpus/
	./fuzz/fuzz_profile -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    -timeout=5 -rss_limit_mb=1024 fuzz/corpus

CLEANFILES += fuzz/fuzz_profile
.PHONY: fuzz
