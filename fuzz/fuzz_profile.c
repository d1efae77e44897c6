/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * libFuzzer target for the profile loader: any bytes either load (and
 * then save and load back to an equal profile) or give diagnostics, and
 * never crash, leak or loop.  Built and run by `make fuzz`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "profile.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile	 p, q;
	struct diag	 d;
	char		*yaml;
	size_t		 len;

	diag_init(&d);
	if (profile_load_buffer(&p, "fuzz.yaml", (const char *)data, size,
	    &d) == 0) {
		(void)profile_check(&p, &d, &d);
		if ((yaml = profile_save_buffer(&p, &len)) != NULL) {
			if (profile_load_buffer(&q, "fuzz.yaml", yaml, len,
			    &d) != 0 || !profile_equal(&p, &q))
				abort();	/* the round trip is broken */
			profile_free(&q);
			free(yaml);
		}
	}
	profile_free(&p);
	diag_free(&d);
	return 0;
}
