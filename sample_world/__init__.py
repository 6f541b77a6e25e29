"""The voc360 sample world: a seeded generator of daily landing files for every registered source, with the
ground truth (true persons, planted topics and effects, planted export defects) written beside them."""

from sample_world.config import Messiness, WorldConfig

__all__ = ["Messiness", "WorldConfig", "generate"]


def generate(cfg: WorldConfig):
    """Generate a world; see `sample_world.world.generate`."""
    from sample_world.world import generate as _generate

    return _generate(cfg)
