/*
 * arena_fixture.h - the arena A that a test file builds its IR in, and cmocka group set-up / tear-down
 * functions that create and free it (cmocka_run_group_tests(tests, arena_setup, arena_teardown)).
 */
#ifndef BN_TEST_ARENA_FIXTURE_H
#define BN_TEST_ARENA_FIXTURE_H

#include "support/support.h"

static struct arena A;

static int arena_setup(void **st)
{
    (void)st;
    arena_init(&A);
    return 0;
}

static int arena_teardown(void **st)
{
    (void)st;
    arena_free(&A);
    return 0;
}

#endif
