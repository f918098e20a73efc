"""How long tests wait. A test waits for events; these bound only what a broken build
would otherwise wait for forever, or give a wrong answer room to show itself."""

STUCK_AFTER_S = 60.0
"""Far past anything a working build takes, even on a machine shared with other work: a
wait that reaches it means the code under test is stuck."""

A_MOMENT_S = 0.1
"""Room for what must not happen (an answer before its commit, a read that did not
wait) to happen if the code were wrong. The assertion after it holds at any speed of
the machine: a working build never does it, however long the moment."""
