# fuzz/: libFuzzer targets for the profile loader and the secrets parser.
# `make fuzz` builds them with clang (Debian: clang, libclang-rt-14-dev;
# `./bootstrap fuzz` installs them) and runs each for FUZZ_SECONDS on a
# corpus seeded from the examples and test cases.  Not part of `make
# check`: fuzzing is open-ended.
FUZZ_SECONDS = 60
FUZZ_CC = clang
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-I. -I$(srcdir)/lib -I$(srcdir)/profiles $(YAML_CFLAGS)
FUZZ_RUN = -max_total_time=$(FUZZ_SECONDS) -timeout=5 -rss_limit_mb=1024
# What the profile loader and the secrets parser are made of.
FUZZ_LIB = $(srcdir)/lib/util.c $(srcdir)/lib/check.c $(srcdir)/lib/cron.c \
	$(srcdir)/profiles/diag.c $(srcdir)/profiles/profile.c \
	$(srcdir)/profiles/yamltree.c $(srcdir)/profiles/profile_load.c \
	$(srcdir)/profiles/profile_check.c $(srcdir)/profiles/profile_save.c \
	$(srcdir)/profiles/schema.c
FUZZ_TARGETS = fuzz/fuzz_profile fuzz/fuzz_secrets
EXTRA_DIST += $(FUZZ_LIB) fuzz/fuzz_profile.c fuzz/fuzz_secrets.c

fuzz/fuzz_profile: $(srcdir)/fuzz/fuzz_profile.c $(FUZZ_LIB)
	@mkdir -p fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(srcdir)/fuzz/fuzz_profile.c \
	    $(FUZZ_LIB) $(YAML_LIBS)

fuzz/fuzz_secrets: $(srcdir)/fuzz/fuzz_secrets.c \
	    $(srcdir)/profiles/secrets.c $(FUZZ_LIB)
	@mkdir -p fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(srcdir)/fuzz/fuzz_secrets.c \
	    $(srcdir)/profiles/secrets.c $(FUZZ_LIB) $(YAML_LIBS)

fuzz: $(FUZZ_TARGETS)
	@mkdir -p fuzz/corpus/profile fuzz/corpus/secrets
	cp $(srcdir)/profiles/examples/*.yaml $(srcdir)/tests/profiles/good/*.yaml \
	    $(srcdir)/tests/profiles/bad/*.yaml fuzz/corpus/profile/
	cp $(srcdir)/tests/profiles/good/*.secrets \
	    $(srcdir)/tests/profiles/bad/*.secrets.yaml fuzz/corpus/secrets/
	./fuzz/fuzz_profile $(FUZZ_RUN) -max_len=65536 fuzz/corpus/profile
	./fuzz/fuzz_secrets $(FUZZ_RUN) -max_len=8192 fuzz/corpus/secrets

CLEANFILES += $(FUZZ_TARGETS)
.PHONY: fuzz
