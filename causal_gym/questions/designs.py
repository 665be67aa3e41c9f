"""What the CausalWorld questions ask of each scene, and how its observational data is biased.

Every question is about one episode of a scene played with a constant action (the question's
*protocol*) from an initial configuration, and has three answers, by where the scene's outcome
ends up: below, inside or above a band around its goal (a block short of / inside / beyond the
target zone, ...). A *task* is one draw of the scene's hidden properties; all episodes of a task
share it.

**Confounding by design.** In observational episodes (the support set and the prediction
questions) a scene designer chooses one observed quantity, the *proxy*, according to a hidden
property: proxy = its range's low end + (high - low) x clip(u + 0.15 z, 0, 1), where u is the
hidden property's position in its training range and z ~ N(0, 1). So the proxy predicts the
hidden property, and a learner that only fits observations can read the hidden property off it.
Intervention and counterfactual questions set a hidden property by ``do``: the proxy no longer
tracks it, and that shortcut fails, as it does in the real world.

========================= ====================== ===============================================
scene                     proxy <- hidden cause  the designer's bias
========================= ====================== ===============================================
CausalWorld-Ramp-v0       ramp angle <- ball     steeper ramps for heavier balls
                          mass
CausalWorld-Tilt-v0       brake <- floor tilt    harder braking on floors that fall toward the
                                                 target
CausalWorld-Gliders-v0    push <- restitution    harder pushes for bouncier gliders
CausalWorld-Shuffle-v0    pusher speed <- the    faster shots for stickier pucks
                          named puck's friction
CausalWorld-Seesaw-v0     sand <- payload mass   more sand for heavier payloads
========================= ====================== ===============================================

Intervention and counterfactual questions change one hidden property (``interventions``
below) to a new value drawn uniformly from its valid range (Gliders: from track_friction
[0, 0.06] and restitution [0.5, 1], where a change can carry the push further as well as stop
it sooner).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from causal_gym import SCENES

CLASSES = ("below", "inside", "above")


@dataclass(frozen=True)
class SceneQuestions:
    """How questions about one scene are made.

    ``config`` gives the ranges of what is drawn for each episode: state variables of the
    scene (set by reset interventions) and protocol settings that only choose the action;
    ``proxy`` is drawn with the bias above, the others uniformly, and those in ``choices``
    are integers drawn uniformly from their range. ``action`` maps the drawn configuration
    to the constant action, in [-1, 1]. ``outcome``
    names the outcome variable the answer reads at the end of the episode and ``band`` its
    half-width; ``classify`` replaces that rule where a scene needs its own. ``interventions``
    lists the hidden properties a question may set, as a function of the configuration, and
    ``intervention_ranges`` narrows where their new values are drawn, for a property whose
    valid range lies mostly on one side of its effect.
    """

    scene: str
    config: Mapping[str, tuple[float, float]]
    proxy: str
    hidden_cause: Callable[[Mapping[str, float]], str]
    action: Callable[[Mapping[str, float]], list[float]]
    interventions: Callable[[Mapping[str, float]], tuple[str, ...]]
    outcome: str
    band: float
    horizon: int = 150
    classify: Callable[[Mapping[str, float]], int] | None = None
    choices: tuple[str, ...] = ()
    intervention_ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    def intervention_range(self, name: str) -> tuple[float, float]:
        """Where a question's ``do(name = x)`` draws x: ``intervention_ranges`` or else the
        property's valid range."""
        if name in self.intervention_ranges:
            return self.intervention_ranges[name]
        variable = SCENES[self.scene].variable(name)
        return variable.low, variable.high

    def reset_interventions(self, config: Mapping[str, float]) -> dict[str, float]:
        """The configuration's values of the scene's state variables (the rest of it only
        chooses the action)."""
        scene = SCENES[self.scene]
        return {
            name: value
            for name, value in config.items()
            if name in scene.variable_names and scene.variable(name).role == "state"
        }

    def answer(self, final: Mapping[str, float]) -> int:
        """The answer class (an index into ``CLASSES``) of an episode's final values."""
        if self.classify is not None:
            return self.classify(final)
        value = final[self.outcome]
        return 0 if value < -self.band else 2 if value > self.band else 1


def _to_action(value: float, low: float, high: float) -> float:
    """``value`` in [low, high] as an action in [-1, 1]."""
    return 2.0 * (value - low) / (high - low) - 1.0


def _gliders_answer(final: Mapping[str, float]) -> int:
    """Fewer than k gliders moved, exactly k, or more (k = target_glider)."""
    moved, k = final["gliders_moved"], final["target_glider"]
    return 0 if moved < k else 2 if moved > k else 1


DESIGNS: dict[str, SceneQuestions] = {
    design.scene: design
    for design in (
        SceneQuestions(
            scene="CausalWorld-Ramp-v0",
            config={"ramp_angle": (10.0, 16.0), "target_x": (2.6, 3.6)},
            proxy="ramp_angle",
            hidden_cause=lambda config: "ball_mass",
            # Hold the ramp at its angle (targets map [10, 50] deg), no push.
            action=lambda config: [_to_action(config["ramp_angle"], 10.0, 50.0), 0.0],
            interventions=lambda config: ("ball_mass", "block_mass", "block_friction"),
            outcome="block_to_target",
            band=0.2,
        ),
        SceneQuestions(
            scene="CausalWorld-Tilt-v0",
            config={"brake": (0.0, 0.5), "target_x": (1.7, 2.9)},
            proxy="brake",
            hidden_cause=lambda config: "floor_tilt",
            action=lambda config: [_to_action(config["brake"], 0.0, 1.0)],
            interventions=lambda config: ("floor_tilt", "floor_friction"),
            outcome="sled_to_target",
            band=0.2,
        ),
        SceneQuestions(
            scene="CausalWorld-Gliders-v0",
            config={"push": (0.3, 1.5), "target_glider": (2.0, 4.0)},
            proxy="push",
            hidden_cause=lambda config: "restitution",
            action=lambda config: [_to_action(config["push"], 0.0, 5.0)],
            interventions=lambda config: ("restitution", "track_friction"),
            outcome="gliders_moved",
            band=0.0,
            classify=_gliders_answer,
            choices=("target_glider",),
            # Most of the valid ranges (friction to 0.5, restitution from 0) only stop the
            # push sooner; these ranges also let a change carry it further.
            intervention_ranges={"track_friction": (0.0, 0.06), "restitution": (0.5, 1.0)},
        ),
        SceneQuestions(
            scene="CausalWorld-Shuffle-v0",
            config={"pusher_speed": (1.1, 2.6), "target_x": (1.8, 3.4), "target_puck": (1.0, 3.0)},
            proxy="pusher_speed",
            hidden_cause=lambda config: f"puck{round(config['target_puck'])}_friction",
            action=lambda config: [_to_action(config["pusher_speed"], -1.5, 3.0)],
            interventions=lambda config: (f"puck{round(config['target_puck'])}_friction",),
            outcome="puck_to_target",
            band=0.25,
            choices=("target_puck",),
        ),
        SceneQuestions(
            scene="CausalWorld-Seesaw-v0",
            config={"sand": (0.2, 1.4), "target_height": (0.5, 1.0)},
            proxy="sand",
            hidden_cause=lambda config: "payload_mass",
            action=lambda config: [_to_action(config["sand"], 0.0, 3.0)],
            interventions=lambda config: ("payload_mass",),
            outcome="payload_to_target",
            band=0.06,
        ),
    )
}


def draw_config(
    design: SceneQuestions,
    rng: np.random.Generator,
    properties: Mapping[str, float],
    property_ranges: Mapping[str, tuple[float, float]],
    biased: bool,
) -> dict[str, float]:
    """One episode's configuration; with ``biased``, the proxy tracks its hidden cause."""
    uniform = rng.uniform(size=len(design.config))
    noise = rng.standard_normal()
    config = {}
    for (name, (low, high)), u in zip(design.config.items(), uniform, strict=True):
        if name in design.choices:
            config[name] = float(min(int(low + (high - low + 1) * u), int(high)))
        else:
            config[name] = low + (high - low) * float(u)
    if biased:
        cause = design.hidden_cause(config)
        low, high = property_ranges[cause]
        position = (properties[cause] - low) / (high - low)
        proxy_low, proxy_high = design.config[design.proxy]
        config[design.proxy] = proxy_low + (proxy_high - proxy_low) * float(
            np.clip(position + 0.15 * noise, 0.0, 1.0)
        )
    return config
