"""Perception (the paper's phi_enc): inputs -> K symbolic variables z_1..z_K, each in R^d.

- ``StateEncoder``: an MLP for state vectors.
- ``ViTEncoder``: a small Vision Transformer for images (Dosovitskiy et al., 2021) with K output
  heads. The image is cut into patches, each embedded with its position; K learned query
  tokens, one per symbol, join the patch tokens through the transformer layers, and head k
  reads z_k off query token k. Separate tokens and heads give each symbol its own attention
  over the image, which is what the paper's "one head per entity or property" asks for.

Both return B x K x d.
"""

from __future__ import annotations

import torch
from torch import nn


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
    """Vision Transformer with K heads: images (B x H x W x 3, uint8 or float in [0, 1])
    -> symbols (B x K x d)."""

    def __init__(
        self,
        symbols: int,
        symbol_dim: int = 1,
        image_size: int = 64,
        patch_size: int = 8,
        width: int = 64,
        depth: int = 2,
        attention_heads: int = 4,
    ):
        super().__init__()
        if image_size % patch_size:
            raise ValueError(f"image_size {image_size} is not a multiple of patch {patch_size}")
        self.symbols, self.symbol_dim, self.image_size = symbols, symbol_dim, image_size
        self.patch_size = patch_size
        patches = (image_size // patch_size) ** 2
        self.patch_embedding = nn.Linear(3 * patch_size * patch_size, width)
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

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        expected = (self.image_size, self.image_size, 3)
        if images.ndim != 4 or tuple(images.shape[1:]) != expected:
            raise ValueError(f"images must be B x {expected}, got {tuple(images.shape)}")
        pixels = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
        size, count = self.patch_size, self.image_size // self.patch_size
        # B x H x W x 3 -> B x (count*count) x (3*size*size)
        patches = (
            pixels.view(len(pixels), count, size, count, size, 3)
            .permute(0, 1, 3, 5, 2, 4)
            .reshape(len(pixels), count * count, 3 * size * size)
        )
        tokens = self.patch_embedding(patches) + self.position
        tokens = torch.cat([self.queries.expand(len(pixels), -1, -1), tokens], dim=1)
        queries = self.norm(self.transformer(tokens)[:, : self.symbols])
        return torch.einsum("bkw,kwd->bkd", queries, self.heads) + self.head_bias
