"""Variables, checked interventions and graph building (no physics)."""

import math

import networkx as nx
import pytest

from causal_gym import scm
from causal_gym.scm import Variable

MASS = Variable("mass", "property", 0.1, 5.0, "kg", "mass of the ball", observed=False)
PUSH = Variable("push", "action", -1.0, 1.0, "N s", "impulse")
X = Variable("x", "state", 0.0, 4.0, "m", "position")
V = Variable("v", "state", -10.0, 10.0, "m/s", "velocity")
GOAL = Variable("at_goal", "outcome", 0.0, 1.0, "", "1 at the goal")
VARIABLES = (MASS, PUSH, X, V, GOAL)
STATE_PARENTS = {"x": ("x", "v"), "v": ("v", "push", "mass", "x")}
OUTCOME_PARENTS = {"at_goal": ("x",)}


def test_variable_rejects_bad_declarations() -> None:
    with pytest.raises(ValueError, match="role must be one of"):
        Variable("a", "parameter", 0, 1, "", "")
    with pytest.raises(ValueError, match="low < high"):
        Variable("a", "state", 1, 1, "", "")
    with pytest.raises(ValueError, match="finite"):
        Variable("a", "state", 0, math.inf, "", "")


def test_checked_value_names_the_range() -> None:
    assert MASS.checked(2) == 2.0
    assert MASS.checked(0.1) == 0.1 and MASS.checked(5.0) == 5.0
    with pytest.raises(ValueError, match=r"mass = 6.0 is out of range: valid is \[0.1, 5.0\] kg"):
        MASS.checked(6.0)
    with pytest.raises(ValueError, match="mass must be finite"):
        MASS.checked(float("-inf"))
    with pytest.raises(ValueError, match="mass must be a number"):
        MASS.checked(None)


def test_check_interventions_lists_valid_names_and_roles() -> None:
    by_name = {v.name: v for v in VARIABLES}
    assert scm.check_interventions(by_name, {"mass": 1, "x": 2}) == {"mass": 1.0, "x": 2.0}
    with pytest.raises(ValueError, match=r"intervenable variables are \['mass', 'v', 'x'\]"):
        scm.check_interventions(by_name, {"speed": 1.0})
    with pytest.raises(ValueError, match="action variable"):
        scm.check_interventions(by_name, {"push": 0.0})
    with pytest.raises(ValueError, match="outcome variable"):
        scm.check_interventions(by_name, {"at_goal": 1.0})
    with pytest.raises(ValueError, match="must be a mapping"):
        scm.check_interventions(by_name, [("mass", 1.0)])


def test_dynamics_graph_keeps_self_loops_and_roles() -> None:
    graph = scm.dynamics_graph(VARIABLES, STATE_PARENTS)
    assert set(graph) == {"mass", "push", "x", "v"}
    assert set(graph.edges) == {
        ("x", "x"),
        ("v", "x"),
        ("v", "v"),
        ("push", "v"),
        ("mass", "v"),
        ("x", "v"),
    }
    assert graph.nodes["mass"]["role"] == "property"
    assert graph.nodes["mass"]["observed"] is False
    assert nx.is_frozen(graph)


def test_causal_graph_is_the_summary_graph() -> None:
    graph = scm.causal_graph(VARIABLES, STATE_PARENTS, OUTCOME_PARENTS)
    assert set(graph.edges) == {
        ("v", "x"),
        ("push", "v"),
        ("mass", "v"),
        ("x", "v"),
        ("x", "at_goal"),
    }
    assert not nx.is_directed_acyclic_graph(graph)  # x and v drive each other
    assert nx.descendants(graph, "mass") == {"v", "x", "at_goal"}
    assert nx.ancestors(graph, "mass") == set()


def test_graphs_reject_incomplete_or_wrong_parents() -> None:
    with pytest.raises(ValueError, match="exactly the state variables"):
        scm.dynamics_graph(VARIABLES, {"x": ("x",)})
    with pytest.raises(ValueError, match="parent 'at_goal' of 'x'"):
        scm.dynamics_graph(VARIABLES, {"x": ("at_goal",), "v": ()})
    with pytest.raises(ValueError, match="parent 'push' of 'at_goal'"):
        scm.causal_graph(VARIABLES, STATE_PARENTS, {"at_goal": ("push",)})
