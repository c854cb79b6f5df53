"""The shape every integration scenario follows: --check, then for real, then a rerun."""


def check_real_rerun(target, tasks, name, snapshot, expect_change=True, diff=True, defaults="basic", env=None):
    """Run ``tasks`` three times and assert the contract of every module.

    1. ``--check --diff``: reports ``expect_change`` and leaves the server exactly as ``snapshot()`` saw it;
    2. for real: reports ``expect_change``;
    3. again: reports no change.
    Returns (check_run, real_run, rerun) for further assertions on the server's state.
    """
    before = snapshot()
    check = target.run(tasks, check=True, diff=diff, defaults=defaults, env=env).assert_ok()
    assert check.changed(name) is expect_change, check.result(name)
    assert snapshot() == before, "check mode changed the server"
    real = target.run(tasks, diff=diff, defaults=defaults, env=env).assert_ok()
    assert real.changed(name) is expect_change, real.result(name)
    again = target.run(tasks, diff=diff, defaults=defaults, env=env).assert_ok()
    assert again.changed(name) is False, again.result(name)
    return check, real, again
