"""voc360 core: the source registry, landing loader and settings, free of any orchestrator."""
