"""Perception (the paper's phi_enc): inputs -> K symbolic variables z_1..z_K, each in R^d.

- ``StateEncoder``: an MLP for state vectors.
- ``ViTEncoder``: a small Vision Transformer for images (Dosovitskiy et al., 2021) with K output
  heads. The image is cut into patches, each embedded with its position; K learned query
  tokens, one per symbol, join the patch tokens through the transformer layers, and head k
  reads z_k off query token k. Separate tokens and heads give each symbol its own attention
  over the image, which is what the paper's "one head per entity or property" asks for.

Both return B x K x d. A ``ViTEncoder`` with ``frames=2`` reads two pictures stacked on the
channel axis (B x H x W x 6): a question dataset's image and its ``motion_image``, the same
scene with each body carried on by its initial velocity, which shows speeds a still frame
hides.

``fit_reader`` trains a ``ViTEncoder`` whose K heads are a scene's K state variables, on a
question dataset's images (and optionally more images of the scene) against the initial states
the simulator recorded with them (the question models' pixel inputs; ``ReaderConfig`` holds
its settings).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from causal_gym.questions import KINDS, QuestionSet

FRAMES = (1, 2)  # a still picture; or it and its motion image


def _check_frames(frames: int) -> None:
    if frames not in FRAMES:
        raise ValueError(f"frames must be one of {FRAMES}, got {frames!r}")


class StateEncoder(nn.Module):
    """MLP: state vector (B x D) -> symbols (B x K x d)."""

    def __init__(self, input_dim: int, symbols: int, symbol_dim: int = 1, hidden: int = 64):
        super().__init__()
        self.input_dim, self.symbols, self.symbol_dim = input_dim, symbols, symbol_dim
        self.network = nn.Sequential(
            nn.Linear(input_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, symbols * symbol_dim),
        )

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        if states.ndim != 2 or states.shape[1] != self.input_dim:
            raise ValueError(f"states must be B x {self.input_dim}, got {tuple(states.shape)}")
        return self.network(states).view(len(states), self.symbols, self.symbol_dim)


class ViTEncoder(nn.Module):
    """Vision Transformer with K heads: images (B x H x W x 3 ``frames``, uint8 or float in
    [0, 1]) -> symbols (B x K x d)."""

    def __init__(
        self,
        symbols: int,
        symbol_dim: int = 1,
        image_size: int = 64,
        patch_size: int = 8,
        width: int = 64,
        depth: int = 2,
        attention_heads: int = 4,
        frames: int = 1,
    ):
        super().__init__()
        if image_size % patch_size:
            raise ValueError(f"image_size {image_size} is not a multiple of patch {patch_size}")
        _check_frames(frames)
        self.symbols, self.symbol_dim, self.image_size = symbols, symbol_dim, image_size
        self.patch_size, self.frames = patch_size, frames
        self.channels = 3 * frames
        patches = (image_size // patch_size) ** 2
        self.patch_embedding = nn.Linear(self.channels * patch_size * patch_size, width)
        self.position = nn.Parameter(torch.randn(1, patches, width) * 0.02)
        self.queries = nn.Parameter(torch.randn(1, symbols, width) * 0.02)
        layer = nn.TransformerEncoderLayer(
            width,
            attention_heads,
            dim_feedforward=2 * width,
            dropout=0.0,
            batch_first=True,
            norm_first=True,
        )
        self.transformer = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        # One head per symbol: weights K x width x d.
        self.heads = nn.Parameter(torch.randn(symbols, width, symbol_dim) / width**0.5)
        self.head_bias = nn.Parameter(torch.zeros(symbols, symbol_dim))
        # Pixels in [0, 1] are centred and scaled by these (``fit_reader`` sets them to its data's
        # mean image and spread: a faint object barely moves raw pixels).
        self.register_buffer("pixel_mean", torch.zeros(image_size, image_size, self.channels))
        self.register_buffer("pixel_scale", torch.ones(()))
        # 0 for a head whose symbol is a constant (``fit_reader``: a state variable its images
        # hold fixed): it reads exactly 0, not the small noise a trained head gives, which a
        # model standardising its inputs would scale up to a feature of pure noise.
        self.register_buffer("head_gate", torch.ones(symbols))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        expected = (self.image_size, self.image_size, self.channels)
        if images.ndim != 4 or tuple(images.shape[1:]) != expected:
            raise ValueError(f"images must be B x {expected}, got {tuple(images.shape)}")
        pixels = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
        pixels = (pixels - self.pixel_mean) / self.pixel_scale
        size, count = self.patch_size, self.image_size // self.patch_size
        # B x H x W x C -> B x (count*count) x (C*size*size)
        patches = (
            pixels.view(len(pixels), count, size, count, size, self.channels)
            .permute(0, 1, 3, 5, 2, 4)
            .reshape(len(pixels), count * count, self.channels * size * size)
        )
        tokens = self.patch_embedding(patches) + self.position
        tokens = torch.cat([self.queries.expand(len(pixels), -1, -1), tokens], dim=1)
        queries = self.norm(self.transformer(tokens)[:, : self.symbols])
        symbols = torch.einsum("bkw,kwd->bkd", queries, self.heads) + self.head_bias
        return symbols * self.head_gate[:, None]


@dataclass
class ReaderConfig:
    """Settings of ``fit_reader``; printed at its start when it logs."""

    steps: int = 1600
    batch: int = 64
    lr: float = 1e-3
    width: int = 64
    depth: int = 2
    patch_size: int = 8
    frames: int = 1  # 2: also read each episode's motion image (initial speeds)
    seed: int = 0


def episode_images(dataset: QuestionSet, prefix: str, frames: int = 1) -> np.ndarray:
    """The ``prefix`` episodes' pictures (tasks x episodes x H x W x 3 ``frames``, uint8):
    each initial image, followed on the channel axis by its motion image when ``frames`` is
    2."""
    if not dataset.manifest.get("images"):
        raise ValueError("the dataset has no images: generate(..., images=True)")
    _check_frames(frames)
    names = (f"{prefix}_image", f"{prefix}_motion_image")[:frames]
    return np.concatenate([dataset[name] for name in names], axis=-1)


def dataset_images(dataset: QuestionSet, frames: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Every episode's pictures in a dataset (support episodes and questions, N x H x W x
    3 ``frames`` uint8, see ``episode_images``) with its initial state (N x D)."""
    pictures = [episode_images(dataset, p, frames) for p in ("support", *KINDS)]
    images = np.concatenate([x.reshape(-1, *x.shape[-3:]) for x in pictures])
    return torch.as_tensor(images), _dataset_states(dataset)


def _dataset_states(dataset: QuestionSet) -> torch.Tensor:
    """Every episode's initial state (N x D), in ``dataset_images``' order."""
    states = [dataset[f"{p}_state"] for p in ("support", *KINDS)]
    return torch.as_tensor(np.concatenate([x.reshape(-1, x.shape[-1]) for x in states])).float()


def reader_units(dataset: QuestionSet) -> tuple[torch.Tensor, torch.Tensor]:
    """The mean and scale (D each) of ``dataset``'s states: a reader ``fit_reader`` fitted on
    ``dataset`` reads an image as (state - mean) / scale."""
    states = _dataset_states(dataset)
    return states.mean(dim=0), states.std(dim=0) + 1e-6


def fit_reader(
    dataset: QuestionSet,
    config: ReaderConfig | None = None,
    log_every: int = 0,
    extra: Sequence[QuestionSet] = (),
) -> ViTEncoder:
    """A ViT with one head per state variable, trained (mean squared error on standardised
    states, Adam with a cosine schedule, pixels centred on the mean image) to read each image's
    initial state; returned in eval mode and frozen, its outputs in the standardised units of
    ``dataset``'s states (what the question models expect).

    ``extra``: more question sets of the same scene whose images and states (never their
    answers) are training data for the reader too. A reader fitted on one 40-task split's 560
    images reads them almost exactly but held-out images less well (Seesaw's target height,
    seed 0: R^2 0.998 on its own images, 0.988 held out), so the models train on cleaner inputs
    than they are scored on; 120 more tasks' images bring the held-out R^2 to 0.996-0.999.
    """
    config = config or ReaderConfig()
    if log_every:
        print(f"reader {dataset.manifest['scene']}: {asdict(config)}")
    for other in extra:
        if other.manifest["scene"] != dataset.manifest["scene"]:
            raise ValueError(
                f"extra images must be of {dataset.manifest['scene']}, "
                f"got {other.manifest['scene']}"
            )
    images, states = dataset_images(dataset, config.frames)
    mean, scale = reader_units(dataset)
    if extra:
        more = [dataset_images(other, config.frames) for other in extra]
        images = torch.cat([images, *(pictures for pictures, _ in more)])
        states = torch.cat([states, *(values for _, values in more)])
    targets = (states - mean) / scale
    torch.manual_seed(config.seed)
    reader = ViTEncoder(
        symbols=states.shape[1],
        image_size=images.shape[1],
        patch_size=config.patch_size,
        width=config.width,
        depth=config.depth,
        frames=config.frames,
    )
    pixels = images.float() / 255.0
    reader.pixel_mean.copy_(pixels.mean(dim=0))
    reader.pixel_scale.fill_(float(pixels.std(dim=0).mean()) + 1e-6)
    reader.head_gate.copy_((scale > 2e-6).float())  # as ``reading_r2`` tells a constant
    del pixels
    optimizer = torch.optim.Adam(reader.parameters(), lr=config.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, config.steps)
    generator = torch.Generator().manual_seed(config.seed)
    for step in range(config.steps):
        batch = torch.randint(len(images), (min(config.batch, len(images)),), generator=generator)
        loss = (reader(images[batch])[..., 0] - targets[batch]).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if log_every and (step + 1) % log_every == 0:
            print(f"reader step {step + 1}: loss {float(loss.detach()):.4f}")
    return reader.eval().requires_grad_(False)


def read_images(reader: ViTEncoder, images: torch.Tensor, batch: int = 256) -> torch.Tensor:
    """The reader's symbols (N x K) of images (N x H x W x 3), without gradients."""
    with torch.no_grad():
        return torch.cat(
            [reader(images[i : i + batch])[..., 0] for i in range(0, len(images), batch)]
        )


def reading_r2(reader: ViTEncoder, train: QuestionSet, held_out: QuestionSet) -> np.ndarray:
    """Per state variable, R^2 of a reader fitted on ``train`` reading ``held_out``'s images
    (its outputs mapped back to state units with ``train``'s statistics, as ``fit_reader``
    standardised them); NaN for a variable ``held_out`` holds constant."""
    images, states = dataset_images(held_out, reader.frames)
    mean, scale = reader_units(train)
    error = (read_images(reader, images) * scale + mean - states).pow(2).mean(dim=0)
    variance = states.var(dim=0)
    r2 = 1 - error / variance.clamp(min=1e-12)
    return torch.where(variance > 1e-12, r2, torch.nan).double().numpy()
