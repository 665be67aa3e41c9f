"""Draw the scene gallery: a still frame and the causal graph of every registered scene.

    python examples/gallery.py [--out docs/scenes]

For each scene: ``<name>.png``, a frame 20 steps into seed 0 under the counterfactual oracle's
plan (``agents.oracle``), and ``<name>_graph.png``, its ``causal_graph`` drawn with networkx:
columns by role (properties, actions, states, outcomes), hidden variables hatched. Needs
matplotlib (``pip install -e ".[examples]"``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import gymnasium as gym
import imageio.v3 as iio
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np

import causal_gym
from agents.oracle import plan_constant_action

ROLE_COLUMNS = {"property": 0, "action": 1, "state": 2, "outcome": 3}
ROLE_COLORS = {"property": "#d9c7f0", "action": "#ffd59e", "state": "#b9e3f7", "outcome": "#c8eec0"}


def still_frame(env_id: str, steps: int = 20) -> np.ndarray:
    env = gym.make(env_id, render_mode="rgb_array")
    env.reset(seed=0)
    plan = plan_constant_action(env, np.random.default_rng(0))
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(plan)
        if terminated or truncated:
            break
    return env.render()


def draw_graph(graph: nx.DiGraph, title: str, path: Path) -> None:
    roles = nx.get_node_attributes(graph, "role")
    for node, role in roles.items():
        graph.nodes[node]["column"] = ROLE_COLUMNS[role]
    layout = nx.multipartite_layout(graph, subset_key="column", scale=1.0)
    height = max(list(roles.values()).count(role) for role in ROLE_COLUMNS)
    figure, axes = plt.subplots(figsize=(12, max(4.0, 0.75 * height)))
    # Curved edges, so that edges between variables of one column show as arcs beside it.
    nx.draw_networkx_edges(
        graph,
        layout,
        ax=axes,
        edge_color="#8a8a8a",
        arrowsize=8,
        width=0.5,
        connectionstyle="arc3,rad=0.25",
        node_size=1800,
    )
    for node, (x, y) in layout.items():
        hidden = not graph.nodes[node]["observed"]
        axes.text(
            x,
            y,
            node,
            ha="center",
            va="center",
            fontsize=8,
            bbox={
                "boxstyle": "round,pad=0.35",
                "fc": ROLE_COLORS[roles[node]],
                "ec": "#333333",
                "hatch": "///" if hidden else None,
            },
        )
    axes.set_title(
        f"{title}: causal_graph, {graph.number_of_edges()} edges "
        "(columns: properties, actions, states, outcomes; hatched: hidden)"
    )
    axes.axis("off")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="docs/scenes")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for env_id, scene in sorted(causal_gym.SCENES.items()):
        name = env_id.removeprefix("CausalWorld-").removesuffix("-v0").lower()
        iio.imwrite(out / f"{name}.png", still_frame(env_id))
        draw_graph(nx.DiGraph(scene._causal_graph), env_id, out / f"{name}_graph.png")
        print(f"{env_id}: {out / name}.png, {out / name}_graph.png")


if __name__ == "__main__":
    main()
