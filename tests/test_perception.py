"""Encoders: shapes, bad input, and a ViT whose K heads learn to read K different things."""

from __future__ import annotations

import pytest
import torch

from world_models.perception import StateEncoder, ViTEncoder


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
