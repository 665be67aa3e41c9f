"""Encoders: shapes, bad input, a ViT whose K heads learn to read K different things, and the
question models' image reader, which learns to read a scene's state off its images."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from causal_gym.questions import generate
from world_models.csml import CSML, CSMLConfig
from world_models.perception import (
    ReaderConfig,
    StateEncoder,
    ViTEncoder,
    dataset_images,
    episode_images,
    fit_reader,
    read_images,
    reader_units,
    reading_r2,
)


def squares(count: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """64x64 uint8 images with one white 8x8 square; targets: its x and y in [0, 1]."""
    corners = torch.randint(0, 57, (count, 2), generator=generator)
    images = torch.zeros(count, 64, 64, 3, dtype=torch.uint8)
    for image, (x, y) in zip(images, corners.tolist()):
        image[y : y + 8, x : x + 8] = 255
    return images, corners.float() / 56


def test_shapes_and_bad_input() -> None:
    state = StateEncoder(input_dim=7, symbols=4, symbol_dim=2)
    assert state(torch.randn(5, 7)).shape == (5, 4, 2)
    with pytest.raises(ValueError, match="B x 7"):
        state(torch.randn(5, 6))
    vit = ViTEncoder(symbols=3, symbol_dim=2)
    assert vit(torch.zeros(2, 64, 64, 3, dtype=torch.uint8)).shape == (2, 3, 2)
    with pytest.raises(ValueError, match=r"B x \(64, 64, 3\)"):
        vit(torch.zeros(2, 3, 64, 64))
    with pytest.raises(ValueError, match="multiple"):
        ViTEncoder(symbols=1, image_size=60, patch_size=8)


def test_two_frame_reader_takes_six_channels() -> None:
    vit = ViTEncoder(symbols=3, frames=2)
    assert vit(torch.zeros(2, 64, 64, 6, dtype=torch.uint8)).shape == (2, 3, 1)
    with pytest.raises(ValueError, match=r"B x \(64, 64, 6\)"):
        vit(torch.zeros(2, 64, 64, 3, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"frames must be one of \(1, 2\)"):
        ViTEncoder(symbols=3, frames=3)


def test_motion_images_let_the_reader_read_the_sleds_speed() -> None:
    """Tilt's sled starts at 3.0-3.6 m/s: a still frame cannot show it, the motion image can."""
    train = generate("CausalWorld-Tilt-v0", "train", 0, 12, 5, 3, images=True)
    held_out = generate("CausalWorld-Tilt-v0", "train", 100, 4, 5, 3, images=True)
    speed = train.manifest["state_variables"].index("sled_vx")
    assert episode_images(train, "support", 2).shape == (12, 5, 64, 64, 6)
    with pytest.raises(ValueError, match="frames must be one of"):
        episode_images(train, "support", 0)
    r2 = {
        frames: reading_r2(
            fit_reader(train, ReaderConfig(steps=150, frames=frames)), train, held_out
        )
        for frames in (1, 2)
    }
    assert r2[1][speed] < 0.3 and r2[2][speed] >= 0.8, r2
    model = CSML(
        train, CSMLConfig(inputs="pixels"), fit_reader(train, ReaderConfig(steps=2, frames=2))
    )
    assert model.tensors(held_out).support.shape == (4, 5, model.features)


def test_vit_heads_learn_separate_symbols() -> None:
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    images, targets = squares(768, generator)
    test_images, test_targets = squares(128, generator)
    model = ViTEncoder(symbols=2, patch_size=16, width=32, depth=1)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for step in range(400):
        batch = torch.arange(64 * step, 64 * (step + 1)) % len(images)
        loss = (model(images[batch])[..., 0] - targets[batch]).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        predicted = model(test_images)[..., 0]
    error = (predicted - test_targets).pow(2).mean(dim=0)
    variance = test_targets.var(dim=0)
    # x and y are independent, so a small error on both means each head reads its own.
    assert (error < 0.2 * variance).all(), (error, variance)


def test_reader_reads_held_out_states_off_images(seesaw_images) -> None:
    train, held_out = seesaw_images
    untrained = ViTEncoder(symbols=4)
    untrained.pixel_mean.copy_(dataset_images(train)[0].float().mean(dim=0) / 255)
    untrained_r2 = reading_r2(untrained, train, held_out)
    varying = ~np.isnan(untrained_r2)
    assert varying.sum() == 2  # beam angle and target height vary at the start
    assert (untrained_r2[varying] < 0.2).all()
    reader = fit_reader(train, ReaderConfig(steps=150))
    r2 = reading_r2(reader, train, held_out)
    assert (r2[varying] >= 0.8).all(), r2
    # The two constants read as exactly their value, not as noise around it.
    assert reader.head_gate.tolist() == varying.astype(float).tolist()
    assert (read_images(reader, dataset_images(held_out)[0])[:, ~varying] == 0).all()
    assert not any(p.requires_grad for p in reader.parameters())


def test_more_images_make_a_better_reader(seesaw_images) -> None:
    """Three tasks' images alone leave the reader guessing on held-out ones; nine more tasks'
    images (states only, their answers unused) read them better on average, in the same units
    (150 steps: R^2 0.72 / 0.83 alone, 0.94 / 0.82 with them)."""
    train, held_out = seesaw_images
    few = type(train)({k: v[:3] for k, v in train.arrays.items()}, dict(train.manifest))
    more = type(train)({k: v[3:] for k, v in train.arrays.items()}, dict(train.manifest))
    config = ReaderConfig(steps=150)
    alone = reading_r2(fit_reader(few, config), few, held_out)
    helped = fit_reader(few, config, extra=[more])
    with_more = reading_r2(helped, few, held_out)
    varying = ~np.isnan(alone)
    assert with_more[varying].mean() >= alone[varying].mean() + 0.05, (alone, with_more)
    assert (with_more[varying] >= 0.8).all(), with_more
    tilt = generate("CausalWorld-Tilt-v0", "train", 0, 1, 1, 1, images=True)
    with pytest.raises(ValueError, match="extra images must be of CausalWorld-Seesaw-v0"):
        fit_reader(few, config, extra=[tilt])


def test_pixel_models_read_through_the_reader(seesaw_images) -> None:
    train, held_out = seesaw_images
    reader = fit_reader(train, ReaderConfig(steps=2))
    model = CSML(train, CSMLConfig(inputs="pixels"), reader)
    data = model.tensors(held_out)
    images = torch.as_tensor(held_out["support_image"][0])
    expected = (read_images(reader, images) - model.mean[:4]) / model.scale[:4]
    assert torch.allclose(data.support[0, :, :4], expected, atol=1e-5)
    assert data.support.shape[-1] == model.features == 4 + 1  # states' width, then the action
    # What a perfect reader would give: the true states in the reader's units, then the model's.
    states = torch.as_tensor(held_out["support_state"]).float()
    mean, scale = reader_units(train)
    truth = ((states - mean) / scale * reader.head_gate - model.mean[:4]) / model.scale[:4]
    assert torch.allclose(data.support_truth[..., :4], truth, atol=1e-5)
    assert torch.equal(data.support_truth[..., 4:], data.support[..., 4:])
    from_state = CSML(train, CSMLConfig()).tensors(held_out)
    assert from_state.support_truth is from_state.support
    # A constant's head adds no feature: standardised, its noise would be unit-variance noise.
    assert (data.support[..., :4][..., reader.head_gate == 0] == 0).all()
    with pytest.raises(ValueError, match="takes a reader"):
        CSML(train, CSMLConfig(inputs="pixels"))
    with pytest.raises(ValueError, match="takes a reader"):
        CSML(train, CSMLConfig(), reader)
    with pytest.raises(ValueError, match="inputs must be one of"):
        CSML(train, CSMLConfig(inputs="video"), reader)
    with pytest.raises(ValueError, match="2 heads, the scene 4 states"):
        CSML(train, CSMLConfig(inputs="pixels"), ViTEncoder(symbols=2))
    no_images = type(held_out)({k: v for k, v in held_out.arrays.items()}, dict(held_out.manifest))
    no_images.manifest["images"] = False
    with pytest.raises(ValueError, match="no images"):
        model.tensors(no_images)
    with pytest.raises(ValueError, match="no images"):
        fit_reader(no_images)
