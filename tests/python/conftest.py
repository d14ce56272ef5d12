"""Shared fixtures of the balnet Python tests: the balnet command of the same build (for the CLI
comparisons), the source tree, and small models."""
import os
import subprocess

import pytest

SRC = os.environ.get("BALNET_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BIN = os.environ.get("BALNET_BIN", os.path.join(SRC, "build", "balnet"))

# A 250-neuron LIF network (tests/models/traces.bn's populations) that runs in ~0.1 s.
SMALL = """import lif, exp_synapses
param N = 250
population E = lif[0.8*N]
population I = lif[0.2*N]
input X = poisson[400](rate = 10 Hz)
connect X -> E via exp_current(5 ms) bernoulli(0.2) weight 60 pA
connect X -> I via exp_current(5 ms) bernoulli(0.2) weight 60 pA
connect E -> I via exp_current(5 ms) bernoulli(0.1) weight 50 pA
connect I -> E via exp_current(5 ms) bernoulli(0.1) weight -50 pA
record E, I, all: rate, v_mean = mean(V)
simulate { dt = 0.1 ms  duration = 200 ms  burn_in = 0 ms  seed = 3 }
"""


@pytest.fixture(scope="session")
def balnet_bin():
    return BIN


@pytest.fixture(scope="session")
def src():
    return SRC


def cli(*args):
    """Runs the balnet command; returns the CompletedProcess (check=True)."""
    return subprocess.run([BIN, *args], check=True, capture_output=True, text=True, cwd=SRC)
